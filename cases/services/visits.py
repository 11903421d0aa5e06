"""Home visits 家访: logged on a case (劝返次数) or for an at-risk student without one (大家访)."""
import datetime

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from cases import transitions
from cases.models import Case, CaseEvent, FollowUp, HomeVisit, VisitPhoto
from cases.services.common import CaseError, lock_case, now_or, today_of, write_event
from cases.services.lifecycle import _apply
from cases.uploads import check_photos
from kongchuo import access

FOLLOWUP_MATCH_DAYS = 14  # a visit completes the retention visit planned within two weeks of it


def _existing(idempotency_key, student, actor):
    if not idempotency_key:
        return None
    visit = HomeVisit.objects.filter(idempotency_key=idempotency_key).first()
    if visit is not None and (visit.student_id != student.pk or visit.created_by_id != actor.pk):
        raise CaseError("提交标识冲突，请刷新页面后重新填写。")
    return visit


@transaction.atomic
def visit_log(*, student, actor, visit_date, mode, people_met, findings, guardian_attitude, case=None,
              idempotency_key=None, family_situation="", risk_level="", next_step="", next_step_date=None,
              visitors=(), other_visitors="", photos=(), now=None):
    """Record one home visit. Returns (visit, created). The same idempotency key never creates a second visit."""
    now = now_or(now)
    existing = _existing(idempotency_key, student, actor)
    if existing is not None:
        return existing, False
    if case is not None:
        lock_case(case)
        if case.student_id != student.pk:
            raise CaseError("家访学生与个案不一致。")
        if not access.can(actor, "case.visit", case):
            raise PermissionDenied("您不能为该个案登记家访。")
        if case.is_closed:
            raise CaseError("个案已结案，请直接为学生登记家访（大家访）。")
    elif not access.can(actor, "visit.log", student):
        raise PermissionDenied("您不能为该学生登记家访。")
    today = today_of(now)
    if visit_date is None or visit_date > today:
        raise CaseError("家访日期不能晚于今天。", field="visit_date")
    if visit_date < today - datetime.timedelta(days=366):
        raise CaseError("家访日期不能早于一年前。", field="visit_date")
    if next_step_date and next_step_date < visit_date:
        raise CaseError("下一步日期不能早于家访日期。", field="next_step_date")
    if mode not in HomeVisit.Mode.values:
        raise CaseError("请选择家访方式。", field="mode")
    if guardian_attitude not in HomeVisit.Attitude.values:
        raise CaseError("请选择监护人态度。", field="guardian_attitude")
    if risk_level and risk_level not in HomeVisit.Risk.values:
        raise CaseError("辍学风险评估无效。", field="risk_level")
    if not (people_met or "").strip():
        raise CaseError("请填写见到的人。", field="people_met")
    if not (findings or "").strip():
        raise CaseError("请填写了解到的情况。", field="findings")
    resized = check_photos(photos)  # verify and re-encode all before writing anything
    try:
        with transaction.atomic():
            visit = HomeVisit.objects.create(
                student=student, case=case, visit_date=visit_date, mode=mode, people_met=people_met.strip(),
                family_situation=family_situation.strip(), findings=findings.strip(),
                guardian_attitude=guardian_attitude, risk_level=risk_level, next_step=next_step.strip(),
                next_step_date=next_step_date, other_visitors=other_visitors.strip(),
                idempotency_key=idempotency_key or None, created_by=actor, created_at=now)
    except IntegrityError:  # the same submission raced in
        return HomeVisit.objects.get(idempotency_key=idempotency_key), False
    visit.visitors.set({actor, *visitors})
    for content, width, height in resized:
        VisitPhoto.objects.create(visit=visit, image=content, width=width, height=height, uploaded_at=now)
    if case is not None:
        count = case.visits.alive().count()
        write_event(case=case, kind=CaseEvent.Kind.VISIT, actor=actor, now=now,
                    reason=f"第 {count} 次家访（{visit.get_mode_display()}）：{visit.findings[:200]}",
                    visit=visit.pk, attitude=visit.get_guardian_attitude_display(), count=count)
        if case.status == Case.Status.WARNING:
            _apply(case=case, move=transitions.move_for(case.status, Case.Status.PERSUADING), actor=actor, now=now,
                   reason="已开展家访，开始劝返", details={"visit": visit.pk})
        elif case.status == Case.Status.RETENTION:
            followup = (FollowUp.objects.filter(case=case, kind=FollowUp.Kind.VISIT).pending()
                        .filter(due_date__lte=visit_date + datetime.timedelta(days=FOLLOWUP_MATCH_DAYS))
                        .order_by("due_date").first())
            if followup is not None:
                followup.done_on, followup.done_by, followup.visit = visit_date, actor, visit
                followup.note = f"家访：{visit.findings[:200]}"
                followup.save()
    return visit, True


@transaction.atomic
def visit_soft_delete(*, visit, actor, now=None):
    if visit.created_by_id != actor.pk and not access.can(actor, "case.close_special", visit.case or visit.student):
        raise PermissionDenied("只有记录人或学校管理员可以删除家访记录。")
    visit.is_deleted = True
    visit.save()
    if visit.case_id:
        write_event(case=visit.case, kind=CaseEvent.Kind.NOTE, actor=actor, now=now_or(now),
                    reason=f"删除了 {visit.visit_date:%Y-%m-%d} 的家访记录", visit=visit.pk)
    return visit
