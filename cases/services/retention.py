"""Retention 保学 (五.4) and evidence-based closing 销号 (review at 教育办)."""
import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q

from cases import transitions
from cases.models import AssistanceRecord, Case, CaseClosure, CaseEvent, FollowUp
from cases.services.common import CaseError, lock_case, notification_send, now_or, today_of, write_event
from cases.services.lifecycle import _apply, forbidden_message
from cases.uploads import check_optional_document
from kongchuo import access, lifecycle
from kongchuo.models import Term
from kongchuo.workdays import WorkCalendar

S = Case.Status
ONE_TERM_DAYS = 90  # "at least one term": retention runs to the end of the first term ending ≥ 3 months after return


def _setting(name, default):
    return getattr(settings, "KONGCHUO", {}).get(name, default)


def retention_minimum_end(return_date):
    """The earliest end of retention: the end of the first term ending at least ~one term after the return."""
    threshold = return_date + datetime.timedelta(days=ONE_TERM_DAYS)
    term = Term.objects.filter(end_date__gte=threshold).order_by("end_date").first()
    return term.end_date if term else threshold


def _schedule(start, until, every_days, calendar):
    """Due dates every `every_days` days after `start`, each moved to the next school day, up to `until`."""
    dates, d = [], start
    while True:
        d = d + datetime.timedelta(days=every_days)
        if d > until:
            return dates
        due = d
        while due <= until and not calendar.is_school_day(due):  # holidays, vacations: the next school day
            due += datetime.timedelta(days=1)
        if due <= until and due not in dates:
            dates.append(due)


@transaction.atomic
def case_start_retention(*, case, actor, mentor, until=None, visit_every_days=None, counselling_every_days=None,
                         expected=None, now=None) -> CaseEvent:
    """已复学 → 保学跟踪: a 结对帮扶 teacher and a schedule of follow-up visits and counselling (≥ one term)."""
    now = now_or(now)
    lock_case(case, expected)
    move = transitions.move_for(case.status, S.RETENTION)
    if move is None:
        raise CaseError(forbidden_message(case, S.RETENTION))
    from kongchuo.models import User

    if mentor is None or not access.visible(User, actor).filter(pk=mentor.pk).exists():
        raise CaseError("请选择本校教师作为结对帮扶教师。", field="mentor")
    start = case.return_date or today_of(now)
    minimum = retention_minimum_end(start)
    until = until or minimum
    if until < minimum:
        raise CaseError(f"保学跟踪期不少于一个学期：截止日期不能早于 {minimum:%Y-%m-%d}。", field="until")
    visit_every = visit_every_days or _setting("RETENTION_VISIT_EVERY_DAYS", 30)
    counselling_every = counselling_every_days or _setting("RETENTION_COUNSELLING_EVERY_DAYS", 14)
    if not (7 <= visit_every <= 62) or not (7 <= counselling_every <= 62):
        raise CaseError("跟踪间隔应在 7 到 62 天之间。", field="visit_every_days")
    calendar = WorkCalendar.load()
    plan = ([FollowUp(case=case, kind=FollowUp.Kind.VISIT, due_date=d)
             for d in _schedule(start, until, visit_every, calendar)]
            + [FollowUp(case=case, kind=FollowUp.Kind.COUNSELLING, due_date=d)
               for d in _schedule(start, until, counselling_every, calendar)])
    FollowUp.objects.bulk_create(plan)
    event = _apply(case=case, move=move, actor=actor, now=now, kind=CaseEvent.Kind.RETENTION,
                   reason=f"结对帮扶教师：{mentor.display_name}；跟踪至 {until:%Y-%m-%d}",
                   stage=Case.Stage.TEACHER, owner=mentor,
                   changes={"mentor": mentor, "retention_until": until},
                   details={"mentor": mentor, "until": until, "visits": sum(1 for f in plan if f.kind == "visit"),
                            "counselling": sum(1 for f in plan if f.kind == "counselling")})
    return event


@transaction.atomic
def followup_complete(*, followup, actor, done_on, note, visit=None, now=None) -> CaseEvent:
    now = now_or(now)
    case = lock_case(followup.case)
    if not access.can(actor, "case.followup", case):
        raise PermissionDenied("您不能登记该个案的跟踪帮扶。")
    followup.refresh_from_db()
    if followup.done_on or followup.cancelled:
        raise CaseError("该跟踪计划已完成或已取消。")
    if done_on is None or done_on > today_of(now):
        raise CaseError("完成日期不能晚于今天。", field="done_on")
    note = (note or "").strip()
    if not note and visit is None:
        raise CaseError("请填写跟踪帮扶记录。", field="note")
    followup.done_on, followup.done_by, followup.note, followup.visit = done_on, actor, note, visit
    followup.save()
    late = "（逾期完成）" if done_on > followup.due_date else ""
    return write_event(case=case, kind=CaseEvent.Kind.FOLLOWUP, actor=actor, now=now,
                       reason=f"{followup.get_kind_display()}（计划 {followup.due_date:%Y-%m-%d}）{late}：{note}",
                       followup=followup.pk)


# ---------------------------------------------------------------------------------------------- closing
def closure_problems(case, today):
    """Why `case` cannot be closed (销号) today — empty when the evidence is complete."""
    from students.models import Student

    problems = []
    if case.status not in (S.RETENTION, S.WARNING):
        problems.append(f"只有“保学跟踪”（或仅为“预警”）的个案可以销号，当前为“{case.get_status_display()}”。")
        return problems
    if case.student.status != Student.Status.ENROLLED:
        problems.append(f"学籍尚未恢复为“在读”（当前：{case.student.get_status_display()}），请先办理复学学籍异动。")
    if case.status == S.RETENTION:
        if case.retention_until and today < case.retention_until:
            problems.append(f"保学跟踪期至 {case.retention_until:%Y-%m-%d}，跟踪未满一个学期不能销号。")
        missed = FollowUp.objects.filter(case=case).overdue(today + datetime.timedelta(days=1)).count()
        if missed:
            problems.append(f"还有 {missed} 次跟踪帮扶逾期未完成。")
    if Case.Reason.POVERTY in case.reason_codes:
        opened = case.opened_at.date()
        has_help = AssistanceRecord.objects.alive().filter(
            Q(case=case) | Q(student=case.student, date__gte=opened)).exists()
        if not has_help:
            problems.append("个案原因含“因贫”，须先登记资助帮扶（两免一补、减免费用、社会捐助等）才能销号。")
    return problems


@transaction.atomic
def case_closure_request(*, case, actor, attended_days, evidence_note, evidence_file=None, now=None) -> CaseClosure:
    """The school asks 教育办 to close (销号) with evidence: enrolment restored and attendance since return."""
    now = now_or(now)
    lock_case(case)
    if not access.can(actor, "case.request_close", case):
        raise PermissionDenied("您不能为该个案申请销号。")
    today = today_of(now)
    problems = closure_problems(case, today)
    if problems:
        raise CaseError("不能申请销号：" + "；".join(problems))
    evidence_note = (evidence_note or "").strip()
    if not evidence_note:
        raise CaseError("请填写销号依据（复学后在校表现、出勤等）。", field="evidence_note")
    since = case.return_date or case.opened_at.date()
    school_days = WorkCalendar.load().school_days_between(since - datetime.timedelta(days=1), today)
    if attended_days is None or attended_days < 0 or attended_days > school_days:
        raise CaseError(f"实际到校天数应在 0 到 {school_days}（复学以来的教学日）之间。", field="attended_days")
    evidence_file = check_optional_document(evidence_file, label="销号证明材料", field="evidence_file")
    try:
        with transaction.atomic():
            closure = CaseClosure.objects.create(
                case=case, requested_by=actor, requested_at=now, enrolment_restored=True,
                school_days_since_return=school_days, attended_days=attended_days, evidence_note=evidence_note,
                evidence_file=evidence_file or "")
    except IntegrityError:
        raise CaseError("该个案已有待审核的销号申请。")
    write_event(case=case, kind=CaseEvent.Kind.CLOSURE_REQUEST, actor=actor, now=now, reason=evidence_note,
                attended=f"{attended_days}/{school_days}", closure=closure.pk)
    reviewers = [case.responsible_office] if case.responsible_office_id else \
        access.case_tier_candidates(Case.Stage.OFFICE, case.student)
    for reviewer in reviewers:
        notification_send(recipient=reviewer, case=case, now=now, title=f"销号待审核：{case.student.name}",
                          body=f"{actor.display_name} 申请销号。复学以来到校 {attended_days}/{school_days} 天。")
    return closure


@transaction.atomic
def case_closure_review(*, closure, actor, approve, comment="", expected=None, now=None) -> CaseEvent:
    """A 教育办 reviewer approves (→ 销号) or sends the request back for more evidence.

    `expected={"status": "pending"}` (what the review page showed): a second review gets StaleState naming the
    first reviewer. The case is locked first (every closure change holds the case lock), then the request."""
    now = now_or(now)
    case = lock_case(closure.case)
    lifecycle.guard(closure, expected)
    if not access.can(actor, "case.review_close", case):
        raise PermissionDenied("销号须由教育办审核。")
    if closure.status != CaseClosure.Status.PENDING:
        raise CaseError("该销号申请已审核。")
    comment = (comment or "").strip()
    closure.reviewer, closure.reviewed_at, closure.review_comment = actor, now, comment
    if not approve:
        if not comment:
            raise CaseError("退回时请写明需要补充的内容。", field="comment")
        closure.status = CaseClosure.Status.REJECTED
        closure.save()
        notification_send(recipient=closure.requested_by, case=case, now=now,
                          title=f"销号申请被退回：{case.student.name}", body=comment)
        return write_event(case=case, kind=CaseEvent.Kind.CLOSURE_REVIEW, actor=actor, now=now,
                           reason=f"退回补充：{comment}", closure=closure.pk, decision="rejected")
    problems = closure_problems(case, today_of(now))
    if problems:
        raise CaseError("不能销号：" + "；".join(problems))
    move = transitions.move_for(case.status, S.CLOSED)
    closure.status = CaseClosure.Status.APPROVED
    closure.save()
    event = _apply(case=case, move=move, actor=actor, now=now, kind=CaseEvent.Kind.CLOSURE_REVIEW,
                   reason=comment or "证据齐全，同意销号", details={"closure": closure.pk, "decision": "approved"})
    notification_send(recipient=closure.requested_by, case=case, now=now, title=f"已销号：{case.student.name}",
                      body=comment or "教育办审核通过，个案已销号。")
    return event
