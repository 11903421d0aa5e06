"""Every allowed and every forbidden move of the transition table (cases/transitions.py)."""
import itertools

import pytest
from django.core.exceptions import PermissionDenied

from cases import transitions
from cases.models import Case, CaseEvent
from cases.services import CaseError, case_transition

S = Case.Status
ALL = list(S.values)
GENERIC = [m for m in transitions.TABLE if not m.service]
SERVICE_ONLY = [m for m in transitions.TABLE if m.service]
FORBIDDEN = [(a, b) for a, b in itertools.product(ALL, ALL) if (a, b) not in transitions.MOVES]
# A persona of `world` allowed each action on a1's case.
ACTOR_FOR = {"case.act": "head_a", "case.serve_notice": "principal_a", "case.report": "principal_a",
             "case.close_special": "principal_a", "case.reopen": "office"}


def _id(move):
    return f"{move.source}->{move.target}"


@pytest.mark.parametrize("move", GENERIC, ids=_id)
def test_transition_allowed_move_changes_status_and_records_event(world, make_case, move):
    case = make_case(status=move.source)
    actor = getattr(world, ACTOR_FOR[move.action])
    event = case_transition(case=case, to_status=move.target, actor=actor, reason="测试原因")
    case.refresh_from_db()
    assert case.status == move.target
    assert event.actor == actor and event.from_status == move.source and event.to_status == move.target
    assert event.reason == "测试原因"
    assert CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.STATUS).count() == 1


@pytest.mark.parametrize("move", [m for m in GENERIC if m.system], ids=_id)
def test_transition_system_move_allowed_without_actor(world, make_case, move):
    case = make_case(status=move.source)
    event = case_transition(case=case, to_status=move.target, actor=None)
    case.refresh_from_db()
    assert case.status == move.target and event.actor is None and event.actor_label == "系统"
    assert event.reason == move.label  # the why defaults to the move's name for the system


@pytest.mark.parametrize("move", [m for m in GENERIC if not m.system], ids=_id)
def test_transition_person_only_move_refused_for_system(world, make_case, move):
    case = make_case(status=move.source)
    with pytest.raises(CaseError, match="必须由具体人员办理"):
        case_transition(case=case, to_status=move.target, actor=None)
    case.refresh_from_db()
    assert case.status == move.source


@pytest.mark.parametrize("move", SERVICE_ONLY, ids=_id)
def test_transition_service_only_move_points_to_its_service(world, make_case, move):
    case = make_case(status=move.source)
    with pytest.raises(CaseError, match="请通过"):
        case_transition(case=case, to_status=move.target, actor=world.office, reason="x")
    case.refresh_from_db()
    assert case.status == move.source


@pytest.mark.parametrize("source,target", FORBIDDEN, ids=[f"{a}->{b}" for a, b in FORBIDDEN])
def test_transition_forbidden_move_gives_clear_message(world, make_case, source, target):
    case = make_case(status=source)
    with pytest.raises(CaseError) as info:
        case_transition(case=case, to_status=target, actor=world.office, reason="x")
    message = str(info.value)
    assert ("不能从" in message and S(source).label in message) or "已是" in message
    case.refresh_from_db()
    assert case.status == source
    assert not CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.STATUS).exists()


@pytest.mark.parametrize("username", ["teacher_a", "head_a", "leader", "village"])
def test_transition_close_special_refused_for_roles_without_it(world, make_case, username):
    case = make_case(status=S.PERSUADING)
    with pytest.raises(PermissionDenied):
        case_transition(case=case, to_status=S.CLOSED_TRANSFER, actor=getattr(world, username), reason="转学")
    case.refresh_from_db()
    assert case.status == S.PERSUADING


def test_transition_close_requires_reason_from_a_person(world, make_case):
    case = make_case(status=S.PERSUADING)
    with pytest.raises(CaseError, match="请填写"):
        case_transition(case=case, to_status=S.CLOSED_DEATH, actor=world.principal_a, reason="  ")


def test_transition_to_reported_hands_case_to_subdistrict_and_notifies(world, make_case):
    case = make_case(status=S.NOTICE_SERVED, stage=Case.Stage.SCHOOL)
    case_transition(case=case, to_status=S.REPORTED, actor=None, reason="通知书送达七日后仍未返校")
    case.refresh_from_db()
    assert case.stage == Case.Stage.SUBDISTRICT
    assert case.owner == world.subdistrict and case.responsible_subdistrict == world.subdistrict
    assert case.stage_due_at is not None
    note = world.subdistrict.notifications.get()
    assert world.a1.name in note.title and note.url.endswith(f"/cases/{case.pk}/")
    # ... and it is now on the 办事处's list (scope).
    assert Case.objects.visible_to(world.subdistrict).filter(pk=case.pk).exists()


def test_transition_reopen_refused_while_another_case_is_open(world, make_case):
    closed = make_case(status=S.CLOSED_TRANSFER)
    make_case(status=S.WARNING)
    with pytest.raises(CaseError, match="已有其他未结案"):
        case_transition(case=closed, to_status=S.PERSUADING, actor=world.office, reason="误结案")


def test_transition_details_are_stored_on_the_event(world, make_case):
    case = make_case(status=S.PERSUADING)
    event = case_transition(case=case, to_status=S.NOTICE_SERVED, actor=world.principal_a, reason="已送达",
                            notice=world.school_a, served_on=case.opened_at.date())
    assert event.details["notice"]["id"] == world.school_a.pk
    assert event.details["served_on"] == case.opened_at.date().isoformat()


def test_transition_table_covers_every_status():
    sources = {m.source for m in transitions.TABLE}
    assert set(ALL) == sources  # every status has a way out (closed ones: reopen)
    targets = {m.target for m in transitions.TABLE}
    assert set(ALL) - {S.WARNING} == targets  # 预警 is only ever the start
