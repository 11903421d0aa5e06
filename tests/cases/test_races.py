"""Races (issue 9): two people (or one double click in two tabs) make the same move at the same moment.

Each test sends two real POSTs in parallel threads, each on its own database connection, released together by a
barrier, against PostgreSQL (row locks). The object must move exactly one step with exactly one event row; the
loser is sent back with the Chinese "已由…于…" message naming who won, when and what — never a 403, never a 500.
"""
import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, CaseClosure, CaseEvent, Exemption, ExemptionStep
from cases.services import case_closure_request, case_escalate, case_open, exemption_apply, exemption_decide
from tests.hostile.files import tiny_pdf
from tests.parallel import logged_in, page_messages, post_at_once, requires_postgresql, run_parallel

pytestmark = [requires_postgresql, pytest.mark.django_db(transaction=True)]

S, K = Case.Status, CaseEvent.Kind
WHEN = r"于\d{4}-\d{2}-\d{2} \d{2}:\d{2}"


def _detail(case):
    return reverse("cases:detail", args=[case.pk])


def _one_won_one_told(results, *, success, stale_pattern, landing):
    """Both requests were redirected (no 403/500); one user sees the success message, the other the stale one."""
    assert [r.status_code for _, r in results] == [302, 302], [r.status_code for _, r in results]
    pages = [page_messages(client, landing) for client, _ in results]
    won = [p for p in pages if success in p]
    told = [p for p in pages if re.search(stale_pattern, p)]
    assert len(won) == 1 and len(told) == 1, (len(won), len(told))
    assert "您的角色无权进行此操作" not in told[0]
    return told[0]


@pytest.fixture
def teacher_stage_case(world):
    case = case_open(student=world.a1, trigger=Case.Trigger.TEACHER_REPORT, actor=world.head_a, note="连续缺勤")
    assert case.stage == Case.Stage.TEACHER
    return case


def test_two_escalations_at_once_move_one_tier(world, teacher_stage_case):
    case = teacher_stage_case
    url = reverse("cases:action", args=[case.pk, "escalate"])
    data = {"reason": "家长拒绝返校", "expected_stage": "teacher"}
    results = post_at_once(url, [(world.principal_a, data), (world.principal_a, data)])
    case.refresh_from_db()
    assert case.stage == Case.Stage.SCHOOL  # not 教育办
    assert CaseEvent.objects.filter(case=case, kind=K.ESCALATED).count() == 1
    told = _one_won_one_told(results, success="已上报", landing=_detail(case),
                             stale_pattern=f"个案已由{world.principal_a.display_name}{WHEN}上报到“学校”层级")
    assert "您的操作未执行" in told


def test_escalation_by_two_people_at_once_moves_one_tier(world, teacher_stage_case):
    case = teacher_stage_case
    url = reverse("cases:action", args=[case.pk, "escalate"])
    data = {"reason": "家长拒绝返校", "expected_stage": "teacher"}
    results = post_at_once(url, [(world.principal_a, data), (world.gradelead_a, data)])
    case.refresh_from_db()
    assert case.stage == Case.Stage.SCHOOL
    event = CaseEvent.objects.get(case=case, kind=K.ESCALATED)
    _one_won_one_told(results, success="已上报", landing=_detail(case),
                      stale_pattern=f"个案已由{event.actor.display_name}{WHEN}上报到“学校”层级")


def test_two_return_downs_at_once_move_one_tier(world, teacher_stage_case):
    case = teacher_stage_case
    case_escalate(case=case, actor=world.principal_a, reason="劝返无效")
    case_escalate(case=case, actor=world.principal_a, reason="需教育办协调")
    case.refresh_from_db()
    assert case.stage == Case.Stage.OFFICE
    url = reverse("cases:action", args=[case.pk, "return_down"])
    data = {"instructions": "请学校再家访一次", "expected_stage": "office"}
    results = post_at_once(url, [(world.office, data), (world.office, data)])
    case.refresh_from_db()
    assert case.stage == Case.Stage.SCHOOL  # not 教师
    assert CaseEvent.objects.filter(case=case, kind=K.RETURNED_DOWN).count() == 1
    _one_won_one_told(results, success="已退回", landing=_detail(case),
                      stale_pattern=f"个案已由{world.office.display_name}{WHEN}退回到“学校”层级")


def test_two_status_moves_at_once_make_one_move(world, teacher_stage_case):
    case = teacher_stage_case
    url = reverse("cases:action", args=[case.pk, "status"])
    data = {"to_status": S.PERSUADING, "reason": "开始劝返", "expected_status": S.WARNING}
    results = post_at_once(url, [(world.principal_a, data), (world.principal_a, data)])
    case.refresh_from_db()
    assert case.status == S.PERSUADING
    assert CaseEvent.objects.filter(case=case, to_status=S.PERSUADING).count() == 1
    _one_won_one_told(results, success="状态已变更", landing=_detail(case),
                      stale_pattern=f"个案已由{world.principal_a.display_name}{WHEN}变更为“劝返中”（开始劝返）")


def test_two_return_registrations_at_once_make_one_move(world, teacher_stage_case):
    case = teacher_stage_case
    url = reverse("cases:action", args=[case.pk, "return"])
    data = {"return_date": timezone.localdate().isoformat(), "placement": Case.Placement.ORIGINAL, "note": "",
            "expected_status": S.WARNING}
    results = post_at_once(url, [(world.principal_a, data), (world.head_a, data)])
    case.refresh_from_db()
    assert case.status == S.RETURNED
    assert CaseEvent.objects.filter(case=case, kind=K.RETURN).count() == 1
    event = CaseEvent.objects.get(case=case, kind=K.RETURN)
    _one_won_one_told(results, success="已登记复学", landing=_detail(case),
                      stale_pattern=f"个案已由{event.actor.display_name}{WHEN}变更为“已复学”")


def test_escalation_and_status_move_at_once_both_apply_once(world, teacher_stage_case):
    """Different fields: the tier move and the status move do not block each other's expectation."""
    case = teacher_stage_case
    esc = reverse("cases:action", args=[case.pk, "escalate"])
    st = reverse("cases:action", args=[case.pk, "status"])
    a, b = logged_in(world.principal_a), logged_in(world.principal_a)
    results = run_parallel([
        lambda: a.post(esc, {"reason": "家长拒绝", "expected_stage": "teacher"}),
        lambda: b.post(st, {"to_status": S.PERSUADING, "reason": "开始劝返", "expected_status": S.WARNING})])
    assert [r.status_code for r in results] == [302, 302]
    case.refresh_from_db()
    assert (case.stage, case.status) == (Case.Stage.SCHOOL, S.PERSUADING)
    assert CaseEvent.objects.filter(case=case, kind=K.ESCALATED).count() == 1
    assert CaseEvent.objects.filter(case=case, to_status=S.PERSUADING).count() == 1


# ---------------------------------------------------------------------------------------------- 销号 review
@pytest.fixture
def pending_closure(world, teacher_stage_case):
    return case_closure_request(case=teacher_stage_case, actor=world.principal_a, attended_days=0,
                                evidence_note="已在校正常上课")


@pytest.mark.parametrize("second", ["approve", "reject"])
def test_two_closure_reviews_at_once_decide_once(world, pending_closure, second):
    from kongchuo.models import Role
    from tests import factories as f

    office2 = f.UserFactory(username="office2", real_name="钱主任")
    f.RoleAssignmentFactory(user=office2, role=Role.OFFICE_STAFF, area=world.area)
    closure, case = pending_closure, pending_closure.case
    url = reverse("cases:closure_review", args=[closure.pk])
    results = post_at_once(url, [
        (world.office, {"decision": "approve", "comment": "同意", "expected_status": "pending"}),
        (office2, {"decision": second, "comment": "请补充出勤表", "expected_status": "pending"})])
    closure.refresh_from_db()
    case.refresh_from_db()
    assert closure.status in (CaseClosure.Status.APPROVED, CaseClosure.Status.REJECTED)
    assert CaseEvent.objects.filter(case=case, kind=K.CLOSURE_REVIEW).count() == 1
    assert (case.status == S.CLOSED) == (closure.status == CaseClosure.Status.APPROVED)
    _one_won_one_told(results, success="已审核", landing=_detail(case),
                      stale_pattern=f"该销号申请已由{closure.reviewer.display_name}{WHEN}审核"
                                    f"（{closure.get_status_display()}）")


# ---------------------------------------------------------------------------------------------- 缓学/免学
def _pdf(name):
    return SimpleUploadedFile(name, tiny_pdf(), content_type="application/pdf")  # the upload layer parses PDFs


STEPS = [  # (persona deciding, status before, status after, step label)
    ("village", Exemption.Status.PENDING_VILLAGE, Exemption.Status.PENDING_SUBDISTRICT, "村（社区）审批"),
    ("subdistrict", Exemption.Status.PENDING_SUBDISTRICT, Exemption.Status.PENDING_OFFICE, "办事处审批"),
    ("office", Exemption.Status.PENDING_OFFICE, Exemption.Status.FILED, "教育办备案"),
]


@pytest.mark.parametrize("index", range(len(STEPS)), ids=[s[0] for s in STEPS])
def test_two_decisions_on_one_exemption_step_at_once_decide_once(world, teacher_stage_case, index):
    case = teacher_stage_case
    today = timezone.localdate()
    exemption = exemption_apply(
        student=world.a1, actor=world.principal_a, kind=Exemption.Kind.EXEMPTION, reason="重度脑瘫，无法到校",
        guardian_name="张父", application_file=_pdf("申请.pdf"), assessment_kind="disability",
        assessment_file=_pdf("残疾证.pdf"), start_date=today, end_date=today + datetime.timedelta(days=300))
    for persona, *_ in STEPS[:index]:
        exemption_decide(exemption=exemption, actor=getattr(world, persona), approve=True, comment="属实")
    persona, before, after, label = STEPS[index]
    exemption.refresh_from_db()
    assert exemption.status == before
    user = getattr(world, persona)
    url = reverse("cases:exemption_detail", args=[exemption.pk])
    data = {"decision": "approve", "comment": "同意", "expected_status": before}
    results = post_at_once(url, [(user, data), (user, data)])
    exemption.refresh_from_db()
    assert exemption.status == after  # exactly one step further
    assert ExemptionStep.objects.filter(exemption=exemption, step=ExemptionStep.Step.values[index + 1]).count() == 1
    assert ExemptionStep.objects.filter(exemption=exemption).count() == index + 2  # apply + one per step
    if after == Exemption.Status.FILED:
        case.refresh_from_db()
        assert case.status == S.CLOSED_EXEMPT
        assert CaseEvent.objects.filter(case=case, to_status=S.CLOSED_EXEMPT).count() == 1
    _one_won_one_told(results, success="审批意见已记录", landing=url,
                      stale_pattern=f"该申请已由{user.display_name}{WHEN}办理“{label}”（同意），"
                                    f"现为“{Exemption.Status(after).label}”")


def test_user_escalation_and_deadline_escalation_at_once_move_one_tier(world, teacher_stage_case):
    """run_deadlines (cron) escalates an overdue 教师-stage case while the principal clicks 上报: one tier only."""
    from cases.services.deadline_checks import check_tier_deadlines
    case = teacher_stage_case
    Case.objects.filter(pk=case.pk).update(stage_due_at=timezone.now() - datetime.timedelta(days=1))
    client = logged_in(world.principal_a)
    url = reverse("cases:action", args=[case.pk, "escalate"])
    results = run_parallel([lambda: client.post(url, {"reason": "家长拒绝", "expected_stage": "teacher"}),
                            lambda: check_tier_deadlines(now=timezone.now())])
    assert results[0].status_code == 302 and not isinstance(results[1], Exception), results
    case.refresh_from_db()
    assert case.stage == Case.Stage.SCHOOL
    event = CaseEvent.objects.get(case=case, kind=K.ESCALATED)
    body = page_messages(client, _detail(case))
    if event.actor is None:  # the cron won: the user is told the system did it
        assert re.search(f"个案已由系统{WHEN}上报到“学校”层级", body)
    else:
        assert "已上报" in body and results[1] == []
