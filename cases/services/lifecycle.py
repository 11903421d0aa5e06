"""The one service that moves a case through its lifecycle (cases/transitions.py) and through the tiers.

Every function is keyword-only, atomic, checks the actor through kongchuo.access, and writes its CaseEvent
in the same transaction. `actor=None` means the system (signals, deadlines) and is only allowed where the
table says so. Refusals raise CaseError (clear Chinese message) or PermissionDenied (visible but not allowed).
"""
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from cases import transitions
from cases.models import Case, CaseEvent, CaseReason, FollowUp
from cases.services.common import (
    RESPONSIBLE_FIELD, CaseError, lock_case, notification_send, now_or, stage_due_at, today_of, write_event,
)
from kongchuo import access

S = Case.Status
_UNSET = object()
REASON_REQUIRED_ACTIONS = {"case.close_special", "case.reopen", "case.report"}
SERVICE_LABELS = {
    "case_record_return": "登记复学",
    "case_start_retention": "保学安排",
    "case_closure_review": "销号申请与教育办审核",
    "exemption_decide": "缓学/免学审批",
}


def _stage_label(stage):
    return Case.Stage(stage).label if stage else ""


def _name(user):
    return user.display_name if user is not None else "系统"


def _check_reasons(reasons):
    reasons = list(dict.fromkeys(reasons or ()))
    bad = [r for r in reasons if r not in Case.Reason.values]
    if bad:
        raise CaseError(f"辍学原因无效：{'、'.join(map(str, bad))}。", field="reasons")
    return reasons


def _pick_owner(stage, student, preferred=None, fallback=None):
    candidates = access.case_tier_candidates(stage, student)
    if preferred is not None:
        if preferred not in candidates:
            raise CaseError(f"{_name(preferred)} 不是该学生在“{_stage_label(stage)}”层级的负责人。", field="owner")
        return preferred
    if candidates:
        return candidates[0]
    return fallback


def _hand_to(case, stage, owner):
    """THE one place the tier stage of a case changes (escalation, return-down, the stage a status move implies):
    the case goes to `stage`, owned by `owner`, who is remembered as that tier's responsible person the first time.
    Callers hold the row lock (lifecycle.guard) and write the event row; deadlines are theirs to set."""
    case.stage, case.owner = stage, owner
    field = RESPONSIBLE_FIELD[stage]
    if owner is not None and getattr(case, field) is None:
        setattr(case, field, owner)


def _notify_owner(case, owner, actor, title, body, now):
    if owner is not None and owner != actor:
        notification_send(recipient=owner, case=case, title=title, body=body, now=now)


# ---------------------------------------------------------------------------------------------- open
@transaction.atomic
def case_open(*, student, trigger, actor, reasons=(), note="", whereabouts="", dropout_date=None, system=False,
              event_key="", now=None) -> Case:
    """Open a case for `student` (one open case per student). `system=True`: opened by a registry signal.

    `event_key` marks the opening event (deduplication of automatic or seeded cases)."""
    now = now_or(now)
    if not system:
        if actor is None:
            raise CaseError("立案必须由具体人员办理。")
        if not access.can(actor, "case.open", student):
            raise PermissionDenied("您不能为该学生立案。")
    if trigger not in Case.Trigger.values:
        raise CaseError("请选择发现途径。", field="trigger")
    reasons = _check_reasons(reasons)
    if dropout_date and dropout_date > today_of(now):
        raise CaseError("辍学时间不能晚于今天。", field="dropout_date")
    from students.models import Student

    list(Student.objects.select_for_update().filter(pk=student.pk).order_by().values_list("pk"))
    if Case.objects.open().filter(student=student).exists():
        raise CaseError(f"{student.name} 已有未结案的个案，请在原个案中继续办理。")
    # A school's student starts with the teachers (包保 teacher, else 班主任); without a teacher account the
    # school owns it. A child with no school (never enrolled, 学籍比对) starts at the 教育办.
    if not student.school_id:
        stage = Case.Stage.OFFICE
    elif access.case_tier_candidates(Case.Stage.TEACHER, student):
        stage = Case.Stage.TEACHER
    else:
        stage = Case.Stage.SCHOOL
    owner = _pick_owner(stage, student, fallback=actor)
    case = Case(student=student, school_id=student.school_id, trigger=trigger, status=S.WARNING,
                stage_due_at=stage_due_at(stage, now), whereabouts=whereabouts,
                dropout_date=dropout_date, note=note, opened_at=now, status_changed_at=now,
                opened_by=actor if getattr(actor, "pk", None) else None)
    _hand_to(case, stage, owner)
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError:
        raise CaseError(f"{student.name} 已有未结案的个案，请在原个案中继续办理。")
    CaseReason.objects.bulk_create([CaseReason(case=case, reason=r) for r in reasons])
    write_event(case=case, kind=CaseEvent.Kind.OPENED, actor=actor, now=now, reason=note, key=event_key,
                to_status=case.status, to_stage=stage, trigger=case.get_trigger_display(),
                reasons=[Case.Reason(r).label for r in reasons], owner=owner)
    _notify_owner(case, owner, actor, f"新个案：{student.name}（{case.get_trigger_display()}）",
                  f"您是该个案在“{_stage_label(stage)}”层级的负责人，办理期限 {case.stage_due_at:%Y-%m-%d}。{note}", now)
    return case


# ---------------------------------------------------------------------------------------------- transitions
def forbidden_message(case, to_status):
    if to_status not in S.values:
        return "目标状态无效。"
    if case.status == to_status:
        return f"个案已是“{case.get_status_display()}”状态。"
    allowed = "、".join(f"“{transitions.label(m.target)}”" for m in transitions.moves_from(case.status))
    return (f"不能从“{case.get_status_display()}”变更为“{transitions.label(to_status)}”。"
            + (f"当前状态只能变更为：{allowed}。" if allowed else ""))


def _apply(*, case, move, actor, reason, now, kind=CaseEvent.Kind.STATUS, stage=None, owner=_UNSET,
           changes=None, details=None):
    """Apply one move of the table (the caller has locked the case and checked any service-specific rules)."""
    if actor is None:
        if not move.system:
            raise CaseError(f"“{move.label}”必须由具体人员办理，系统不能自动执行。")
    elif not access.can(actor, move.action, case):
        raise PermissionDenied(f"您的角色不能办理“{move.label}”。")
    reason = (reason or "").strip()
    if not reason:
        if actor is not None and move.action in REASON_REQUIRED_ACTIONS:
            raise CaseError(f"请填写“{move.label}”的原因。", field="reason")
        reason = move.label
    from_status, from_stage, from_owner = case.status, case.stage, case.owner
    target = move.target
    case.status = target
    case.status_changed_at = now
    if target == S.REPORTED and stage is None:
        stage = Case.Stage.SUBDISTRICT
    if stage is None or stage == case.stage:
        stage = case.stage
    elif owner is _UNSET:
        owner = _pick_owner(stage, case.student, fallback=None)
    if owner is not _UNSET:  # (always set when the stage changes)
        _hand_to(case, stage, owner)
    if target in Case.CLOSED_STATUSES:
        case.closed_at, case.closed_by, case.stage_due_at = now, actor, None
    elif target in Case.CLOCK_STOPPED_STATUSES:
        case.stage_due_at = None
    else:  # out of school again (or still): the current tier's clock runs
        if from_status in Case.CLOSED_STATUSES:
            case.closed_at = case.closed_by = None
        if from_status in Case.CLOSED_STATUSES or from_status in Case.CLOCK_STOPPED_STATUSES \
                or case.stage != from_stage or case.stage_due_at is None:
            case.stage_due_at = stage_due_at(case.stage, now)
    if target == S.PERSUADING and from_status in (S.RETURNED, S.RETENTION):
        FollowUp.objects.filter(case=case, done_on__isnull=True, cancelled=False).update(cancelled=True)
    for field, value in (changes or {}).items():
        setattr(case, field, value)
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError:
        raise CaseError(f"{case.student.name} 已有其他未结案的个案，不能重新打开此个案。")
    event = write_event(case=case, kind=kind, actor=actor, now=now, reason=reason, from_status=from_status,
                        to_status=target, from_stage=from_stage if case.stage != from_stage else "",
                        to_stage=case.stage if case.stage != from_stage else "", move=move.label,
                        **(details or {}))
    if case.owner is not None and case.owner != from_owner:
        due = f"，办理期限 {case.stage_due_at:%Y-%m-%d}" if case.stage_due_at else ""
        _notify_owner(case, case.owner, actor, f"个案转交：{case.student.name}（{move.label}）",
                      f"个案已转至“{case.get_stage_display()}”层级由您负责{due}。原因：{reason}", now)
    return event


@transaction.atomic
def case_transition(*, case, to_status, actor, reason="", expected=None, **details) -> CaseEvent:
    """Move `case` to `to_status` if the transition table allows it for `actor` (None = system).

    Moves that need more data go through their own service (登记复学, 保学安排, 销号审核, 缓学/免学审批).
    Moving to 上报管理区 hands the case to the 办事处 of the student's sub-district and notifies them.
    Extra keyword arguments are stored on the event (e.g. notice=<ReturnNotice>); `now=` fixes the clock.
    `expected` ({"status": …}, the state the page showed; None for system/API callers): see kongchuo.lifecycle.
    """
    now = now_or(details.pop("now", None))
    lock_case(case, expected)
    move = transitions.move_for(case.status, to_status)
    if move is None:
        raise CaseError(forbidden_message(case, to_status))
    if move.service:
        raise CaseError(f"“{move.label}”请通过“{SERVICE_LABELS[move.service]}”办理。")
    changes = {}
    if to_status == S.PERSUADING and case.status == S.PAUSED:
        changes["paused_until"] = None
    return _apply(case=case, move=move, actor=actor, reason=reason, now=now, changes=changes, details=details)


# ---------------------------------------------------------------------------------------------- tiers
def _check_tier_actor(case, actor, action, verb):
    if not access.can(actor, action, case):
        raise PermissionDenied(f"您的角色不能{verb}该个案。")
    if case.owner_id != actor.pk and not access.acts_at_case_stage(actor, case.stage):
        raise PermissionDenied(f"个案当前在“{case.get_stage_display()}”层级，只有该层级人员或当前负责人可以{verb}。")


@transaction.atomic
def case_escalate(*, case, actor, reason, system=False, to_user=None, expected=None, now=None) -> CaseEvent:
    """Hand the case to the next tier's owner (教师 → 学校 → 教育办 → 办事处), notify them, start that tier's deadline.

    `expected={"stage": …}`: the tier the user saw; a second click finds the case moved and gets StaleState."""
    now = now_or(now)
    lock_case(case, expected)
    if not system:
        if actor is None:
            raise CaseError("上报必须由具体人员办理。")
        _check_tier_actor(case, actor, "case.escalate", "上报")
    reason = (reason or "").strip()
    if not reason:
        raise CaseError("请填写上报原因。", field="reason")
    if case.is_closed:
        raise CaseError("个案已结案，不能上报。")
    if case.status in Case.CLOCK_STOPPED_STATUSES:
        raise CaseError(f"个案处于“{case.get_status_display()}”状态，无需上报。")
    target = case.next_stage
    if target is None:
        raise CaseError("个案已在最高层级（办事处），不能继续上报。")
    owner = _pick_owner(target, case.student, preferred=to_user)
    from_stage, from_owner = case.stage, case.owner
    _hand_to(case, target, owner)
    case.stage_due_at = stage_due_at(target, now)
    case.save()
    event = write_event(case=case, kind=CaseEvent.Kind.ESCALATED, actor=actor, now=now, reason=reason,
                        from_stage=from_stage, to_stage=target, system=system, owner=owner,
                        previous_owner=from_owner, due=case.stage_due_at)
    body = (f"{'系统自动' if system else _name(actor)}将个案上报到“{case.get_stage_display()}”。"
            f"原因：{reason}。办理期限 {case.stage_due_at:%Y-%m-%d}。")
    if owner is not None:
        notification_send(recipient=owner, case=case, title=f"个案上报：{case.student.name}", body=body, now=now)
    return event


@transaction.atomic
def case_return_down(*, case, actor, instructions, expected=None, now=None) -> CaseEvent:
    """A tier hands the case back to the tier below with instructions (退回并指导). `expected`: as case_escalate."""
    now = now_or(now)
    lock_case(case, expected)
    _check_tier_actor(case, actor, "case.return_down", "退回")
    instructions = (instructions or "").strip()
    if not instructions:
        raise CaseError("请填写退回说明（需要下一层级做什么）。", field="instructions")
    if case.is_closed:
        raise CaseError("个案已结案，不能退回。")
    target = case.previous_stage
    if target is None:
        raise CaseError("个案已在最低层级（教师），不能再退回。")
    candidates = access.case_tier_candidates(target, case.student)
    previous = getattr(case, RESPONSIBLE_FIELD[target])
    owner = previous if previous in candidates else (candidates[0] if candidates else None)
    from_stage = case.stage
    _hand_to(case, target, owner)
    if case.status not in Case.CLOCK_STOPPED_STATUSES:
        case.stage_due_at = stage_due_at(target, now)
    case.save()
    event = write_event(case=case, kind=CaseEvent.Kind.RETURNED_DOWN, actor=actor, now=now, reason=instructions,
                        from_stage=from_stage, to_stage=target, owner=owner)
    _notify_owner(case, owner, actor, f"个案退回：{case.student.name}",
                  f"{_name(actor)}（{_stage_label(from_stage)}）将个案退回给您，说明：{instructions}", now)
    return event


@transaction.atomic
def case_record_return(*, case, actor, return_date, placement, note="", expected=None, now=None) -> CaseEvent:
    """The child is back. The school must accept every returning child (五.3 应收尽收): only placement is chosen."""
    now = now_or(now)
    lock_case(case, expected)
    move = transitions.move_for(case.status, S.RETURNED)
    if move is None:
        raise CaseError(forbidden_message(case, S.RETURNED))
    if placement not in Case.Placement.values:
        raise CaseError("请选择安置方式。", field="placement")
    if return_date is None:
        raise CaseError("请填写复学日期。", field="return_date")
    if return_date > today_of(now):
        raise CaseError("复学日期不能晚于今天。", field="return_date")
    if return_date < timezone.localdate(case.opened_at) and case.trigger != Case.Trigger.NOT_RETURNED:
        raise CaseError("复学日期不能早于立案日期。", field="return_date")
    label = Case.Placement(placement).label
    reason = (note or "").strip() or f"学生已返校复学，安置方式：{label}"
    owner = _pick_owner(Case.Stage.SCHOOL, case.student, fallback=actor) if case.school_id else case.owner
    return _apply(case=case, move=move, actor=actor, reason=reason, now=now, kind=CaseEvent.Kind.RETURN,
                  stage=Case.Stage.SCHOOL if case.school_id else None, owner=owner,
                  changes={"return_date": return_date, "placement": placement, "paused_until": None},
                  details={"return_date": return_date, "placement": label})


# ---------------------------------------------------------------------------------------------- edits
@transaction.atomic
def case_update(*, case, actor, reasons=None, whereabouts=None, dropout_date=_UNSET, note=None, now=None) -> CaseEvent:
    """Edit the facts of a case (reasons, 去向, 辍学时间, 说明); the change is on the timeline."""
    now = now_or(now)
    lock_case(case)
    if not access.can(actor, "case.edit", case):
        raise PermissionDenied("您不能修改该个案。")
    if case.is_closed:
        raise CaseError("个案已结案，如需修改请先重新打开。")
    changed = {}
    if reasons is not None:
        reasons = _check_reasons(reasons)
        old = case.reason_codes
        if set(old) != set(reasons):
            CaseReason.objects.filter(case=case).exclude(reason__in=reasons).delete()
            CaseReason.objects.bulk_create([CaseReason(case=case, reason=r) for r in reasons if r not in old])
            changed["辍学原因"] = "、".join(Case.Reason(r).label for r in reasons) or "（无）"
    if whereabouts is not None and whereabouts.strip() != case.whereabouts:
        case.whereabouts = whereabouts.strip()
        changed["去向"] = case.whereabouts
    if dropout_date is not _UNSET and dropout_date != case.dropout_date:
        if dropout_date and dropout_date > today_of(now):
            raise CaseError("辍学时间不能晚于今天。", field="dropout_date")
        case.dropout_date = dropout_date
        changed["辍学时间"] = dropout_date
    if note is not None and note.strip() != case.note:
        case.note = note.strip()
        changed["情况说明"] = case.note
    if not changed:
        raise CaseError("没有需要保存的修改。")
    case.save()
    return write_event(case=case, kind=CaseEvent.Kind.EDIT, actor=actor, now=now,
                       reason="修改：" + "、".join(changed), changes=changed)


@transaction.atomic
def case_add_note(*, case, actor, text, now=None) -> CaseEvent:
    if not access.can(actor, "case.act", case):
        raise PermissionDenied("您不能在该个案中记录。")
    text = (text or "").strip()
    if not text:
        raise CaseError("请填写记录内容。", field="text")
    return write_event(case=case, kind=CaseEvent.Kind.NOTE, actor=actor, now=now_or(now), reason=text)


@transaction.atomic
def case_soft_delete(*, case, actor, reason, now=None) -> CaseEvent:
    """Remove a case opened by mistake (duplicate): kept in the database, hidden everywhere."""
    now = now_or(now)
    lock_case(case)
    if not access.can(actor, "case.close_special", case):
        raise PermissionDenied("您不能删除该个案。")
    reason = (reason or "").strip()
    if not reason:
        raise CaseError("请填写删除原因。", field="reason")
    case.is_deleted, case.deleted_at = True, now
    case.save()
    return write_event(case=case, kind=CaseEvent.Kind.NOTE, actor=actor, now=now, reason=f"删除个案：{reason}")
