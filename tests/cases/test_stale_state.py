"""A move sent with a state the case no longer has (single-threaded): refused with "已由…于…", nothing written.

The pages always send the state they showed (hidden expected_<field>); a POST without it is refused as an
expired page. Services called without `expected` (system, API, CLI) act on the current state.
"""
import datetime
import re
import threading
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections, transaction
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, CaseClosure, CaseEvent, Exemption
from cases.services import (
    case_closure_request, case_closure_review, case_escalate, case_open, case_record_return, case_return_down,
    case_start_retention, case_transition, exemption_apply, exemption_decide,
)
from kongchuo.lifecycle import ERR_PAGE_EXPIRED, StaleState
from tests.hostile.files import tiny_pdf
from tests.parallel import requires_postgresql

S, K = Case.Status, CaseEvent.Kind
WHEN = r"于\d{4}-\d{2}-\d{2} \d{2}:\d{2}"


@pytest.fixture
def case(world):
    return case_open(student=world.a1, trigger=Case.Trigger.TEACHER_REPORT, actor=world.head_a, note="连续缺勤")


def _pdf(name):
    return SimpleUploadedFile(name, tiny_pdf(), content_type="application/pdf")  # the upload layer parses PDFs


def _exemption(world):
    today = timezone.localdate()
    return exemption_apply(student=world.a1, actor=world.principal_a, kind=Exemption.Kind.EXEMPTION,
                           reason="重度脑瘫", guardian_name="张父", application_file=_pdf("a.pdf"),
                           assessment_kind="disability", assessment_file=_pdf("b.pdf"), start_date=today,
                           end_date=today + datetime.timedelta(days=300))


# ---------------------------------------------------------------------------------------------- services
def test_escalate_with_stale_stage_is_refused_naming_who_and_when(world, case):
    case_escalate(case=case, actor=world.principal_a, reason="家长拒绝")
    events = CaseEvent.objects.count()
    with pytest.raises(StaleState) as info:
        case_escalate(case=case, actor=world.principal_a, reason="家长拒绝", expected={"stage": "teacher"})
    assert re.fullmatch(f"个案已由{world.principal_a.display_name}{WHEN}上报到“学校”层级。您的操作未执行，"
                        f"请查看最新情况后再办理。", info.value.message)
    assert info.value.field == "stage" and info.value.current == "school"
    case.refresh_from_db()
    assert case.stage == Case.Stage.SCHOOL and CaseEvent.objects.count() == events


def test_escalate_with_current_stage_or_without_expectation_moves(world, case):
    case_escalate(case=case, actor=world.principal_a, reason="家长拒绝", expected={"stage": "teacher"})
    case_escalate(case=case, actor=world.principal_a, reason="需教育办协调")  # API/CLI: no expectation
    case.refresh_from_db()
    assert case.stage == Case.Stage.OFFICE


def test_stale_expectation_is_refused_before_the_role_check(world, case):
    """The old answer to a lost race was PermissionDenied (teacher no longer at the case's tier)."""
    case_escalate(case=case, actor=world.principal_a, reason="家长拒绝")
    with pytest.raises(StaleState):
        case_escalate(case=case, actor=world.teacher_a, reason="家长拒绝", expected={"stage": "teacher"})


def test_return_down_with_stale_stage_is_refused(world, case):
    case_escalate(case=case, actor=world.principal_a, reason="家长拒绝")
    case_return_down(case=case, actor=world.principal_a, instructions="请再家访")
    with pytest.raises(StaleState) as info:
        case_return_down(case=case, actor=world.principal_a, instructions="请再家访", expected={"stage": "school"})
    assert re.match(f"个案已由{world.principal_a.display_name}{WHEN}退回到“教师”层级", info.value.message)


@pytest.mark.parametrize("service", ["transition", "record_return"])
def test_status_moves_with_stale_status_are_refused(world, case, service):
    case_transition(case=case, to_status=S.PERSUADING, actor=world.principal_a, reason="开始劝返")
    with pytest.raises(StaleState) as info:
        if service == "transition":
            case_transition(case=case, to_status=S.REPORTED, actor=world.principal_a, reason="劝返无效",
                            expected={"status": S.WARNING})
        else:
            case_record_return(case=case, actor=world.principal_a, return_date=timezone.localdate(),
                               placement=Case.Placement.ORIGINAL, expected={"status": S.WARNING})
    assert re.match(f"个案已由{world.principal_a.display_name}{WHEN}变更为“劝返中”（开始劝返）", info.value.message)
    case.refresh_from_db()
    assert case.status == S.PERSUADING


def test_retention_with_stale_status_is_refused(world, case):
    case_record_return(case=case, actor=world.principal_a, return_date=timezone.localdate(),
                       placement=Case.Placement.ORIGINAL)
    with pytest.raises(StaleState):
        case_start_retention(case=case, actor=world.principal_a, mentor=world.teacher_a,
                             expected={"status": S.WARNING})
    assert not case.followups.exists()


def test_closure_review_with_stale_status_names_the_reviewer(world, case):
    closure = case_closure_request(case=case, actor=world.principal_a, attended_days=0, evidence_note="正常上课")
    case_closure_review(closure=closure, actor=world.office, approve=False, comment="补充出勤表")
    with pytest.raises(StaleState) as info:
        case_closure_review(closure=closure, actor=world.office, approve=True, expected={"status": "pending"})
    assert re.match(f"该销号申请已由{world.office.display_name}{WHEN}审核（退回补充）", info.value.message)
    closure.refresh_from_db()
    assert closure.status == CaseClosure.Status.REJECTED


def test_exemption_step_with_stale_status_names_who_decided(world, case):
    exemption = _exemption(world)
    exemption_decide(exemption=exemption, actor=world.village, approve=True, comment="属实")
    with pytest.raises(StaleState) as info:
        exemption_decide(exemption=exemption, actor=world.village, approve=True,
                         expected={"status": Exemption.Status.PENDING_VILLAGE})
    assert re.match(f"该申请已由{world.village.display_name}{WHEN}办理“村（社区）审批”（同意），现为“待办事处审批”",
                    info.value.message)
    assert exemption.steps.count() == 2


# ---------------------------------------------------------------------------------------------- pages
def _moved_case(world, case):
    """The page was shown at 教师/预警; meanwhile the case was escalated to 学校 and moved to 劝返中."""
    case_escalate(case=case, actor=world.principal_a, reason="家长拒绝")
    case_transition(case=case, to_status=S.PERSUADING, actor=world.principal_a, reason="开始劝返")
    case.refresh_from_db()
    return case


PAGE_MOVES = {  # name: (form data without the expected state, the stale expected state the old page sends)
    "escalate": ({"reason": "家长拒绝"}, {"expected_stage": "teacher"}),
    "return_down": ({"instructions": "请再家访"}, {"expected_stage": "office"}),
    "status": ({"to_status": S.REPORTED, "reason": "劝返无效"}, {"expected_status": S.WARNING}),
    "return": ({"return_date": "2026-01-05", "placement": "original"}, {"expected_status": S.WARNING}),
}


@pytest.mark.parametrize("name", sorted(PAGE_MOVES))
def test_case_move_page_with_stale_state_redirects_with_message(client, world, case, name):
    case = _moved_case(world, case)
    data, stale = PAGE_MOVES[name]
    events = CaseEvent.objects.filter(case=case).count()
    client.force_login(world.principal_a)
    response = client.post(reverse("cases:action", args=[case.pk, name]), {**data, **stale}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("cases:detail", args=[case.pk])
    body = response.content.decode()
    assert re.search(f"个案已由{world.principal_a.display_name}{WHEN}"
                     f"(上报到“学校”层级|变更为“劝返中”（开始劝返）)。您的操作未执行", body)
    assert CaseEvent.objects.filter(case=case).count() == events
    after = Case.objects.get(pk=case.pk)
    assert (after.stage, after.status) == (case.stage, case.status)


@pytest.mark.parametrize("name", sorted(PAGE_MOVES))
def test_case_move_page_without_expected_state_is_refused_as_expired(client, world, case, name):
    if name == "return_down":
        case_escalate(case=case, actor=world.principal_a, reason="家长拒绝")
    data, _ = PAGE_MOVES[name]
    if name == "status":
        data = {**data, "to_status": S.PERSUADING}
    before = Case.objects.get(pk=case.pk)
    events = CaseEvent.objects.filter(case=case).count()
    client.force_login(world.principal_a)
    response = client.post(reverse("cases:action", args=[case.pk, name]), data, follow=True)
    assert response.status_code == 200 and ERR_PAGE_EXPIRED in response.content.decode()
    after = Case.objects.get(pk=case.pk)
    assert (after.stage, after.status) == (before.stage, before.status)
    assert CaseEvent.objects.filter(case=case).count() == events


def test_move_pages_render_the_state_they_show(client, world, case):
    client.force_login(world.principal_a)
    for action, field, value in (("escalate", "stage", "teacher"), ("status", "status", "warning"),
                                 ("return", "status", "warning")):
        body = client.get(reverse("cases:action", args=[case.pk, action])).content.decode()
        assert re.search(f'<input type="hidden" name="expected_{field}" value="{value}"', body), action


def test_closure_review_page_stale_and_expired(client, world, case):
    closure = case_closure_request(case=case, actor=world.principal_a, attended_days=0, evidence_note="正常上课")
    url = reverse("cases:closure_review", args=[closure.pk])
    client.force_login(world.office)
    assert 'name="expected_status" value="pending"' in client.get(url).content.decode()
    expired = client.post(url, {"decision": "approve", "comment": "同意"}, follow=True)
    assert ERR_PAGE_EXPIRED in expired.content.decode()
    case_closure_review(closure=closure, actor=world.office, approve=True, comment="同意")
    response = client.post(url, {"decision": "reject", "comment": "再看看", "expected_status": "pending"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("cases:detail", args=[case.pk])
    assert re.search(f"该销号申请已由{world.office.display_name}{WHEN}审核（已批准销号）", response.content.decode())
    closure.refresh_from_db()
    assert closure.status == CaseClosure.Status.APPROVED and closure.review_comment == "同意"


def test_exemption_page_stale_step_is_a_message_not_403(client, world, case):
    """The village cadre's second click: the step is no longer theirs — the old answer was a 403."""
    exemption = _exemption(world)
    url = reverse("cases:exemption_detail", args=[exemption.pk])
    client.force_login(world.village)
    assert 'name="expected_status" value="pending_village"' in client.get(url).content.decode()
    exemption_decide(exemption=exemption, actor=world.village, approve=True, comment="属实")
    response = client.post(url, {"decision": "approve", "comment": "属实", "expected_status": "pending_village"})
    assert response.status_code == 302
    body = client.get(url).content.decode()
    assert re.search(f"该申请已由{world.village.display_name}{WHEN}办理“村（社区）审批”（同意）", body)
    assert exemption.steps.count() == 2


def test_exemption_page_without_expected_state_is_refused_as_expired(client, world, case):
    exemption = _exemption(world)
    client.force_login(world.village)
    response = client.post(reverse("cases:exemption_detail", args=[exemption.pk]),
                           {"decision": "approve", "comment": "属实"}, follow=True)
    assert ERR_PAGE_EXPIRED in response.content.decode()
    exemption.refresh_from_db()
    assert exemption.status == Exemption.Status.PENDING_VILLAGE


# ---------------------------------------------------------------------------------------------- under the lock
@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_expectation_is_checked_after_the_row_lock(world):
    """Deterministic: while one transaction holds the case row and moves it, a second escalation waits on the
    lock and — once the first commits — sees the new tier and refuses (a check before the lock would pass)."""
    case = case_open(student=world.a1, trigger=Case.Trigger.TEACHER_REPORT, actor=world.head_a)
    locked, release, outcome = threading.Event(), threading.Event(), {}

    def holder():
        try:
            with transaction.atomic():
                case_escalate(case=Case.objects.get(pk=case.pk), actor=world.principal_a, reason="先到")
                locked.set()
                release.wait(timeout=10)
        finally:
            connections.close_all()

    def loser():
        try:
            locked.wait(timeout=10)
            case_escalate(case=Case.objects.get(pk=case.pk), actor=world.principal_a, reason="后到",
                          expected={"stage": "teacher"})
            outcome["result"] = "moved"
        except StaleState as exc:
            outcome["result"] = exc.message
        finally:
            connections.close_all()

    threads = [threading.Thread(target=holder), threading.Thread(target=loser)]
    for t in threads:
        t.start()
    locked.wait(timeout=10)
    time.sleep(0.5)  # the loser has read the case as 教师 and is now blocked on the row lock
    assert "result" not in outcome
    release.set()
    for t in threads:
        t.join(timeout=30)
    assert re.match(f"个案已由{world.principal_a.display_name}{WHEN}上报到“学校”层级", outcome["result"])
    case.refresh_from_db()
    assert case.stage == Case.Stage.SCHOOL
    assert CaseEvent.objects.filter(case=case, kind=K.ESCALATED).count() == 1
