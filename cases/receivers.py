"""Registry signals → cases (connected in CasesConfig.ready). Every receiver is idempotent: the same signal twice
records one event (CaseEvent.key) and opens at most one case (one open case per student)."""
from django.db import transaction

from cases.models import Case, CaseEvent
from cases.services.common import has_event_key, lock_case, notification_send, now_or, write_event
from cases.services.lifecycle import _apply, case_escalate, case_open
from cases import transitions
from kongchuo import access

ABSENCE_LEVEL_LABELS = {"alert": "连续缺勤预警", "suspected": "疑似辍学", "dropout": "辍学"}
# Absence level → the lowest tier the case must have reached.
ABSENCE_MIN_STAGE = {"alert": Case.Stage.TEACHER, "suspected": Case.Stage.SCHOOL, "dropout": Case.Stage.OFFICE}


def _get_or_open(*, student, trigger, actor, note, key, **extra):
    """The student's open case, or a new one (opened by the system on behalf of `actor`)."""
    case = Case.objects.open().filter(student=student).first()
    if case is not None:
        return lock_case(case), False
    case = case_open(student=student, trigger=trigger, actor=actor, note=note, system=True, **extra)
    return case, True


def _raise_to(case, stage, reason):
    order = Case.STAGE_ORDER
    while order.index(case.stage) < order.index(stage) and case.status not in Case.CLOCK_STOPPED_STATUSES:
        case_escalate(case=case, actor=None, system=True, reason=reason)
        case.refresh_from_db()


@transaction.atomic
def on_absence_threshold(sender, *, student, level, days, since, actor=None, **kwargs):
    label = ABSENCE_LEVEL_LABELS.get(level, level)
    key = f"absence:{level}:{since}"
    note = f"{label}：自 {since} 起连续 {days} 个教学日无故缺勤"
    existing = Case.objects.open().filter(student=student).first()
    if existing is not None and has_event_key(existing, key):
        return existing
    case, created = _get_or_open(student=student, trigger=Case.Trigger.ABSENCE, actor=actor, note=note, key=key,
                                 dropout_date=since if level == "dropout" else None)
    write_event(case=case, kind=CaseEvent.Kind.SIGNAL, actor=None, reason=note, key=key, level=level, days=days,
                since=since)
    if created and level == "alert":
        # 3 days → the 班主任 (and the 包保 teacher) are asked to visit.
        for teacher in access.case_tier_candidates(Case.Stage.TEACHER, student):
            if teacher != case.owner:
                notification_send(recipient=teacher, case=case, title=f"缺勤预警：{student.name}",
                                  body=f"{note}，请及时家访。")
    if case.status in (Case.Status.RETURNED, Case.Status.RETENTION) and level in ("suspected", "dropout"):
        _apply(case=case, move=transitions.move_for(case.status, Case.Status.PERSUADING), actor=None,
               now=now_or(None), reason=f"复学后再次{label}")
    if level == "dropout" and case.dropout_date is None:
        case.dropout_date = since
        case.save(update_fields=["dropout_date"])
    _raise_to(case, ABSENCE_MIN_STAGE.get(level, Case.Stage.TEACHER), note)
    return case


@transaction.atomic
def on_non_return(sender, *, student, entry, actor=None, **kwargs):
    key = f"non_return:{getattr(entry, 'pk', entry)}"
    whereabouts = str(getattr(entry, "whereabouts", "") or "")
    note = "开学核查：上学期在读、本学期未返校且无学籍异动记录"
    existing = Case.objects.open().filter(student=student).first()
    if existing is not None and has_event_key(existing, key):
        return existing
    case, created = _get_or_open(student=student, trigger=Case.Trigger.NOT_RETURNED, actor=actor, note=note,
                                 key=key, whereabouts=whereabouts)
    write_event(case=case, kind=CaseEvent.Kind.SIGNAL, actor=None, reason=note, key=key, entry=entry)
    if not created and whereabouts and not case.whereabouts:
        case.whereabouts = whereabouts
        case.save(update_fields=["whereabouts"])
    return case


@transaction.atomic
def on_population_candidate(sender, *, student, candidate, actor=None, **kwargs):
    key = f"population:{getattr(candidate, 'pk', candidate)}"
    never = getattr(student, "status", "") == "not_enrolled"
    trigger = Case.Trigger.NEVER_ENROLLED if never else Case.Trigger.POPULATION_MATCH
    note = "学籍比对：适龄儿童未入学，经核实确认失学" if never else "学籍比对：经核实确认辍学"
    existing = Case.objects.open().filter(student=student).first()
    if existing is not None and has_event_key(existing, key):
        return existing
    case, _ = _get_or_open(student=student, trigger=trigger, actor=actor, note=note, key=key)
    write_event(case=case, kind=CaseEvent.Kind.SIGNAL, actor=None, reason=note, key=key, candidate=candidate)
    return case


# 学籍异动 that end a case: status after the change → the closing status.
STATUS_CLOSES = {"transferred": Case.Status.CLOSED_TRANSFER, "deceased": Case.Status.CLOSED_DEATH,
                 "graduated": Case.Status.CLOSED_AGED_OUT}


@transaction.atomic
def on_student_status_changed(sender, *, student, status_after=None, kind="", **kwargs):
    """A confirmed 转学, a death or a graduation recorded in the registry closes the student's open case."""
    from cases.services.lifecycle import case_transition

    target = STATUS_CLOSES.get(status_after)
    if target is None:
        return None
    case = Case.objects.open().filter(student=student).first()
    if case is None:
        return None
    change = kwargs.get("change")
    reason = f"学籍异动已登记：{student.get_status_display()}"
    if change is not None and getattr(change, "reason", ""):
        reason += f"（{change.reason}）"
    return case_transition(case=case, to_status=target, actor=None, reason=reason)


def connect():
    from students import signals

    signals.student_status_changed.connect(on_student_status_changed, dispatch_uid="cases.status_changed")
    signals.absence_threshold_reached.connect(on_absence_threshold, dispatch_uid="cases.absence")
    signals.non_return_recorded.connect(on_non_return, dispatch_uid="cases.non_return")
    signals.population_candidate_confirmed.connect(on_population_candidate, dispatch_uid="cases.population")
