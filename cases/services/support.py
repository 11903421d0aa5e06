"""Exemptions 缓学/免学, 送教上门 plans and sessions, assistance records."""
import datetime
import uuid

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from cases import transitions
from cases.models import (
    AssistanceRecord, Case, CaseEvent, Exemption, ExemptionStep, SessionPhoto, TeachingPlan, TeachingSession,
)
from cases.services.common import (
    CaseError, lock_case, notification_send, now_or, safe_reverse, today_of, write_event,
)
from cases.services.lifecycle import _apply
from cases.uploads import check_document, check_photos
from kongchuo import access, lifecycle

E = Exemption.Status
DEFERRAL_MAX_DAYS = 366  # 缓学 lasts at most one year (PITFALLS: domain facts)

# status → (step, access action, next status, approver tier for the next step)
EXEMPTION_FLOW = {
    E.PENDING_VILLAGE: (ExemptionStep.Step.VILLAGE, "exemption.approve_village", E.PENDING_SUBDISTRICT, "subdistrict"),
    E.PENDING_SUBDISTRICT: (ExemptionStep.Step.SUBDISTRICT, "exemption.approve_subdistrict", E.PENDING_OFFICE,
                            "office"),
    E.PENDING_OFFICE: (ExemptionStep.Step.OFFICE, "exemption.file", E.FILED, None),
}
STEP_ROLE_LABEL = {"exemption.approve_village": "村（社区）干部", "exemption.approve_subdistrict": "办事处工作人员",
                   "exemption.file": "教育办工作人员"}


def _open_case(student):
    return Case.objects.open().filter(student=student).first()


def _notify_all(users, **kwargs):
    for user in users:
        notification_send(recipient=user, **kwargs)


@transaction.atomic
def exemption_apply(*, student, actor, kind, reason, guardian_name, application_file, assessment_kind,
                    assessment_file, start_date, end_date, case=None, now=None) -> Exemption:
    """Record the guardian's written application with its hospital / 残疾 assessment; it goes to the 村 first."""
    now = now_or(now)
    if not access.can(actor, "exemption.apply", student):
        raise PermissionDenied("您不能为该学生提交缓学/免学申请。")
    if kind not in Exemption.Kind.values:
        raise CaseError("请选择缓学或免学。", field="kind")
    if assessment_kind not in Exemption.AssessmentKind.values:
        raise CaseError("请选择证明材料类型。", field="assessment_kind")
    if not (reason or "").strip():
        raise CaseError("请填写申请理由。", field="reason")
    if not (guardian_name or "").strip():
        raise CaseError("请填写提出申请的法定监护人。", field="guardian_name")
    if not start_date or not end_date or end_date <= start_date:
        raise CaseError("截止日期必须晚于开始日期。", field="end_date")
    if kind == Exemption.Kind.DEFERRAL and (end_date - start_date).days > DEFERRAL_MAX_DAYS:
        raise CaseError("缓学期限最长一年，期满后须重新申请。", field="end_date")
    if not student.village_id:
        raise CaseError("学生未登记现住村（社区），无法进入村级审批，请先完善学籍信息。")
    application_file = check_document(application_file, label="监护人书面申请", field="application_file")
    assessment_file = check_document(assessment_file, label="医院诊断或残疾评定材料", field="assessment_file")
    if Exemption.objects.alive().filter(student=student, status__in=Exemption.PENDING_STATUSES).exists():
        raise CaseError(f"{student.name} 已有待审批的缓学/免学申请。")
    case = case or _open_case(student)
    exemption = Exemption.objects.create(
        student=student, case=case, kind=kind, reason=reason.strip(), guardian_name=guardian_name.strip(),
        application_file=application_file, assessment_kind=assessment_kind, assessment_file=assessment_file,
        start_date=start_date, end_date=end_date, applied_by=actor, applied_at=now)
    ExemptionStep.objects.create(exemption=exemption, step=ExemptionStep.Step.APPLY,
                                 decision=ExemptionStep.Decision.SUBMIT, actor=actor, at=now, comment=reason.strip())
    if case is not None:
        write_event(case=case, kind=CaseEvent.Kind.EXEMPTION, actor=actor, now=now,
                    reason=f"提交{exemption.get_kind_display()}申请（{start_date:%Y-%m-%d} 至 {end_date:%Y-%m-%d}）",
                    exemption=exemption.pk)
    _notify_all(access.case_tier_candidates("village", student), now=now, case=case,
                url=safe_reverse("cases:exemption_detail", exemption.pk),
                title=f"{exemption.get_kind_display()}申请待村（社区）审批：{student.name}", body=reason.strip())
    return exemption


@transaction.atomic
def exemption_decide(*, exemption, actor, approve, comment="", expected=None, now=None) -> ExemptionStep:
    """One approval step, by the right role only: 村 → 办事处 → 教育办 备案. 备案 closes (免学) or pauses (缓学) the case.

    `expected={"status": …}` (the step the page showed): a second click on the same step gets StaleState naming
    who decided it, never a 403 for "not your step any more"."""
    now = now_or(now)
    lifecycle.guard(exemption, expected)
    flow = EXEMPTION_FLOW.get(exemption.status)
    if flow is None:
        raise CaseError(f"该申请已办结（{exemption.get_status_display()}）。")
    step, action, next_status, next_tier = flow
    if not access.can(actor, action, exemption):
        raise PermissionDenied(f"“{ExemptionStep.Step(step).label}”须由{STEP_ROLE_LABEL[action]}办理。")
    comment = (comment or "").strip()
    if not approve and not comment:
        raise CaseError("不同意时请写明理由。", field="comment")
    record = ExemptionStep.objects.create(
        exemption=exemption, step=step, actor=actor, at=now, comment=comment,
        decision=ExemptionStep.Decision.APPROVE if approve else ExemptionStep.Decision.REJECT)
    url = safe_reverse("cases:exemption_detail", exemption.pk)
    label = f"{exemption.get_kind_display()}申请"
    student = exemption.student
    if not approve:
        exemption.status = E.REJECTED
        exemption.save()
        notification_send(recipient=exemption.applied_by, url=url, now=now, case=exemption.case,
                          title=f"{label}未获批准：{student.name}", body=f"{ExemptionStep.Step(step).label}：{comment}")
        if exemption.case_id:
            write_event(case=exemption.case, kind=CaseEvent.Kind.EXEMPTION, actor=actor, now=now,
                        reason=f"{label}{ExemptionStep.Step(step).label}未通过：{comment}", exemption=exemption.pk)
        return record
    exemption.status = next_status
    if next_status != E.FILED:
        exemption.save()
        _notify_all(access.case_tier_candidates(next_tier, student), now=now, url=url, case=exemption.case,
                    title=f"{label}待{E(next_status).label[1:]}：{student.name}",
                    body=f"{actor.display_name} 已{ExemptionStep.Step(step).label}同意。{comment}")
        return record
    exemption.filed_at = now
    exemption.save()
    notification_send(recipient=exemption.applied_by, url=url, now=now, case=exemption.case,
                      title=f"{label}已备案生效：{student.name}",
                      body=f"有效期 {exemption.start_date:%Y-%m-%d} 至 {exemption.end_date:%Y-%m-%d}。")
    case = exemption.case if exemption.case_id and not exemption.case.is_closed else _open_case(student)
    if case is not None:
        lock_case(case)
        target = Case.Status.CLOSED_EXEMPT if exemption.kind == Exemption.Kind.EXEMPTION else Case.Status.PAUSED
        move = transitions.move_for(case.status, target)
        if move is not None:
            _apply(case=case, move=move, actor=actor, now=now, kind=CaseEvent.Kind.EXEMPTION,
                   reason=f"{label}经村、办事处批准，教育办已备案（至 {exemption.end_date:%Y-%m-%d}）",
                   changes={"paused_until": exemption.end_date} if target == Case.Status.PAUSED else None,
                   details={"exemption": exemption.pk})
        else:
            write_event(case=case, kind=CaseEvent.Kind.EXEMPTION, actor=actor, now=now, exemption=exemption.pk,
                        reason=f"{label}已备案（个案状态“{case.get_status_display()}”不变）")
    return record


# ---------------------------------------------------------------------------------------------- 送教上门
def _age_on(birth, day):
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


@transaction.atomic
def plan_create(*, student, actor, disability, goals, schedule_days, start_date, end_date, teachers,
                schedule_note="", session_minutes=90, case=None, now=None) -> TeachingPlan:
    """送教上门 一人一案. The child stays on the school roll (no 学籍 change)."""
    now = now_or(now)
    if not access.can(actor, "homeschool.plan", student):
        raise PermissionDenied("您不能为该学生制定送教上门方案。")
    if not student.school_id:
        raise CaseError("送教上门学生须保留学籍：请先为学生登记学籍学校。")
    if not start_date or not end_date or end_date <= start_date:
        raise CaseError("结束日期必须晚于开始日期。", field="end_date")
    age = _age_on(student.birth_date, start_date)
    if not 6 <= age <= 15:
        raise CaseError(f"送教上门对象为 6 至 15 周岁的重度残疾儿童少年，该生开始日期时 {age} 周岁。",
                        field="start_date")
    days = sorted({int(d) for d in schedule_days or () if str(d).isdigit() and 0 <= int(d) <= 6})
    if not days:
        raise CaseError("请选择每周送教日。", field="schedule_days")
    if not (30 <= int(session_minutes or 0) <= 480):
        raise CaseError("每次送教时长应在 30 到 480 分钟之间。", field="session_minutes")
    if not (goals or "").strip():
        raise CaseError("请填写教育目标。", field="goals")
    if not (disability or "").strip():
        raise CaseError("请填写残疾情况。", field="disability")
    from kongchuo.models import User

    teachers = list(teachers or ())
    colleagues = set(access.visible(User, actor).filter(pk__in=[t.pk for t in teachers])
                     .values_list("pk", flat=True))
    if not teachers or any(t.pk not in colleagues for t in teachers):
        raise CaseError("请选择本校教师作为送教教师。", field="teachers")
    if TeachingPlan.objects.alive().filter(student=student, end_date__gte=start_date).exists():
        raise CaseError(f"{student.name} 已有未结束的送教上门方案。")
    case = case or _open_case(student)
    plan = TeachingPlan.objects.create(
        student=student, school_id=student.school_id, case=case, disability=disability.strip(), goals=goals.strip(),
        schedule_days=",".join(map(str, days)), schedule_note=schedule_note.strip(),
        session_minutes=session_minutes, start_date=start_date, end_date=end_date, created_by=actor, created_at=now)
    plan.teachers.set(teachers)
    if case is not None:
        write_event(case=case, kind=CaseEvent.Kind.NOTE, actor=actor, now=now, plan=plan.pk,
                    reason=f"制定送教上门方案（{plan.schedule_label}，{start_date:%Y-%m-%d} 至 {end_date:%Y-%m-%d}）")
    for teacher in teachers:
        if teacher != actor:
            notification_send(recipient=teacher, now=now, url=safe_reverse("cases:plan_detail", plan.pk),
                              title=f"送教上门任务：{student.name}", body=f"每周{plan.schedule_label}。")
    return plan


@transaction.atomic
def session_log(*, plan, actor, date, duration_minutes, content, teacher, photos=(), idempotency_key=None,
                now=None):
    """One 送教 session. Returns (session, created); the same idempotency key never creates two."""
    now = now_or(now)
    if idempotency_key:
        existing = TeachingSession.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            if existing.plan_id != plan.pk:
                raise CaseError("提交标识冲突，请刷新页面后重新填写。")
            return existing, False
    if not access.can(actor, "homeschool.log", plan):
        raise PermissionDenied("您不能登记该方案的送教记录。")
    if date is None or date > today_of(now):
        raise CaseError("送教日期不能晚于今天。", field="date")
    if not plan.start_date <= date <= plan.end_date:
        raise CaseError(f"送教日期应在方案期限内（{plan.start_date:%Y-%m-%d} 至 {plan.end_date:%Y-%m-%d}）。", field="date")
    if not (10 <= int(duration_minutes or 0) <= 480):
        raise CaseError("送教时长应在 10 到 480 分钟之间。", field="duration_minutes")
    if not (content or "").strip():
        raise CaseError("请填写送教内容。", field="content")
    if teacher is None or not plan.teachers.filter(pk=teacher.pk).exists():
        raise CaseError("送教教师须是方案中的教师。", field="teacher")
    resized = check_photos(photos)
    try:
        with transaction.atomic():
            session = TeachingSession.objects.create(
                plan=plan, date=date, duration_minutes=duration_minutes, content=content.strip(), teacher=teacher,
                idempotency_key=idempotency_key or None, created_by=actor, created_at=now)
    except IntegrityError:
        return TeachingSession.objects.get(idempotency_key=idempotency_key), False
    for image, width, height in resized:
        SessionPhoto.objects.create(session=session, image=image, width=width, height=height, uploaded_at=now)
    return session, True


# ---------------------------------------------------------------------------------------------- 资助
@transaction.atomic
def assistance_record(*, student, actor, kind, date, source, amount=None, note="", case=None, now=None):
    now = now_or(now)
    if not access.can(actor, "assistance.record", student):
        raise PermissionDenied("您不能为该学生登记资助。")
    if kind not in AssistanceRecord.Kind.values:
        raise CaseError("请选择资助项目。", field="kind")
    if date is None or date > today_of(now):
        raise CaseError("日期不能晚于今天。", field="date")
    if amount is not None and amount < 0:
        raise CaseError("金额不能为负数。", field="amount")
    if not (source or "").strip():
        raise CaseError("请填写资金/帮扶来源。", field="source")
    case = case or _open_case(student)
    record = AssistanceRecord.objects.create(
        student=student, case=case, kind=kind, date=date, amount=amount, source=source.strip(), note=note.strip(),
        recorded_by=actor, created_at=now)
    if case is not None:
        money = f" {amount} 元" if amount is not None else ""
        write_event(case=case, kind=CaseEvent.Kind.ASSISTANCE, actor=actor, now=now, assistance=record.pk,
                    reason=f"{record.get_kind_display()}{money}（{record.source}，{date:%Y-%m-%d}）")
    return record


def new_idempotency_key():
    return uuid.uuid4()


def months_between(first, last):
    months, y, m = [], first.year, first.month
    while (y, m) <= (last.year, last.month):
        months.append(datetime.date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months
