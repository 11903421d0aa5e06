"""Deadline checks of the cases app, registered in cases.deadlines (run by `manage.py run_deadlines`).

Each check is `fn(*, now) -> list[str]` and idempotent: running twice at the same moment does nothing the
second time (escalation moves the deadline; reminders carry a dedupe key or a sent-at stamp).
"""
from django.db import transaction

from cases.models import Case, CaseEvent, Exemption, FollowUp, TierPolicy
from cases.services.common import has_event_key, notification_send, today_of, write_event
from cases.services.lifecycle import case_escalate
from kongchuo.workdays import WorkCalendar

REMIND_SCHOOL_DAYS_BEFORE_END = 10


def _who(case):
    return f"个案#{case.pk} {case.student.name}"


def check_tier_deadlines(*, now):
    """Overdue at a tier: escalate when the tier is configured to, otherwise remind the owner once."""
    lines = []
    policies = {stage: TierPolicy.for_stage(stage) for stage in Case.STAGE_ORDER}
    overdue = (Case.objects.overdue(now).filter(status__in=Case.OUT_OF_SCHOOL_STATUSES)
               .select_related("student", "owner").order_by("stage_due_at", "pk"))
    for case in overdue:
        with transaction.atomic():
            case = Case.objects.select_for_update(of=("self",)).select_related("student", "owner").get(pk=case.pk)
            if not case.is_overdue(now):  # changed since the query (another run)
                continue
            stage_label, due = case.get_stage_display(), case.stage_due_at
            policy = policies[case.stage]
            auto = policy.auto_escalate and case.next_stage is not None and case.status != Case.Status.NOTICE_SERVED
            if auto:
                case_escalate(case=case, actor=None, system=True, now=now,
                              reason=f"“{stage_label}”层级办理期限 {due:%Y-%m-%d} 已过，系统自动上报")
                lines.append(f"自动上报：{_who(case)} {stage_label} → {case.get_stage_display()}"
                             f"（负责人：{case.owner.display_name if case.owner else '无'}）")
                continue
            key = f"overdue:{case.stage}:{due:%Y%m%d%H%M}"
            if has_event_key(case, key):
                continue
            write_event(case=case, kind=CaseEvent.Kind.DEADLINE, actor=None, now=now, key=key,
                        reason=f"“{stage_label}”层级办理期限 {due:%Y-%m-%d} 已过")
            notification_send(recipient=case.owner, case=case, now=now, key=f"case{case.pk}:{key}",
                              title=f"个案超期：{case.student.name}",
                              body=f"“{stage_label}”层级办理期限 {due:%Y-%m-%d} 已过，请尽快办理。")
            lines.append(f"超期提醒：{_who(case)}（{stage_label}，期限 {due:%Y-%m-%d}）")
    return lines


def check_followups(*, now):
    """Missed retention follow-ups: remind the 结对帮扶 teacher once per follow-up."""
    lines = []
    today = today_of(now)
    missed = (FollowUp.objects.overdue(today).filter(overdue_notified_at__isnull=True, case__is_deleted=False)
              .exclude(case__status__in=Case.CLOSED_STATUSES).select_related("case__student", "case__mentor",
                                                                             "case__owner"))
    for followup in missed:
        case = followup.case
        recipient = case.mentor or case.owner
        notification_send(recipient=recipient, case=case, now=now, key=f"followup:{followup.pk}",
                          title=f"保学跟踪逾期：{case.student.name}",
                          body=f"{followup.get_kind_display()}计划于 {followup.due_date:%Y-%m-%d}，尚未登记。")
        FollowUp.objects.filter(pk=followup.pk).update(overdue_notified_at=now)
        lines.append(f"跟踪逾期：{_who(case)} {followup.get_kind_display()}（计划 {followup.due_date:%Y-%m-%d}）")
    return lines


def check_exemption_reminders(*, now):
    """Re-assess 10 school days before a 缓学/免学 ends; tell the case owner when a 缓学 has ended."""
    lines = []
    today = today_of(now)
    calendar = WorkCalendar.load()
    filed = (Exemption.objects.alive().filter(status=Exemption.Status.FILED, reminder_sent_at__isnull=True,
                                              end_date__gte=today)
             .select_related("student", "applied_by", "case__owner"))
    for exemption in filed:
        if calendar.school_days_between(today, exemption.end_date) > REMIND_SCHOOL_DAYS_BEFORE_END:
            continue
        recipients = {exemption.applied_by}
        if exemption.case_id and exemption.case.owner_id:
            recipients.add(exemption.case.owner)
        for step in exemption.steps.filter(step="office").select_related("actor"):
            recipients.add(step.actor)
        for user in recipients:
            notification_send(recipient=user, case=exemption.case, now=now, key=f"exemption-remind:{exemption.pk}",
                              title=f"{exemption.get_kind_display()}即将到期：{exemption.student.name}",
                              body=f"将于 {exemption.end_date:%Y-%m-%d} 到期，请组织复评（继续申请或安排复学）。")
        Exemption.objects.filter(pk=exemption.pk).update(reminder_sent_at=now)
        lines.append(f"到期提醒：{exemption.student.name} {exemption.get_kind_display()}（{exemption.end_date:%Y-%m-%d} 到期）")
    ended = (Case.objects.alive().filter(status=Case.Status.PAUSED, paused_until__lt=today)
             .select_related("student", "owner"))
    for case in ended:
        key = f"paused-ended:{case.paused_until:%Y%m%d}"
        if has_event_key(case, key):
            continue
        write_event(case=case, kind=CaseEvent.Kind.DEADLINE, actor=None, now=now, key=key,
                    reason=f"缓学已于 {case.paused_until:%Y-%m-%d} 到期，请安排复学或重新申请")
        notification_send(recipient=case.owner, case=case, now=now, key=f"case{case.pk}:{key}",
                          title=f"缓学已到期：{case.student.name}",
                          body=f"缓学已于 {case.paused_until:%Y-%m-%d} 到期，请安排复学或重新申请。")
        lines.append(f"缓学到期：{_who(case)}（{case.paused_until:%Y-%m-%d}）")
    return lines


def register_all():
    from cases import deadlines

    from kongchuo.jobs.services import jobs_check_stale, jobs_purge_files  # the job layer's clocks

    for fn in (check_tier_deadlines, check_followups, check_exemption_reminders, jobs_check_stale, jobs_purge_files):
        if fn not in deadlines.CHECKS:
            deadlines.register(fn)
