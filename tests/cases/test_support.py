"""Exemptions 缓学/免学 (村 → 办事处 → 教育办), 送教上门 plans, assistance."""
import datetime
import uuid

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.models import AssistanceRecord, Case, Exemption, ExemptionStep, Notification, TeachingPlan
from cases.selectors import planned_vs_delivered
from cases.services import (
    CaseError, assistance_record, case_open, exemption_apply, exemption_decide, plan_create, session_log,
)
from kongchuo.models import CalendarException
from tests.cases.conftest import FIXED_NOW
from tests.hostile.files import tiny_pdf

S = Case.Status
TODAY = FIXED_NOW.date()


def _pdf(name="申请.pdf"):
    return SimpleUploadedFile(name, tiny_pdf(), content_type="application/pdf")


def _apply(world, kind=Exemption.Kind.EXEMPTION, actor=None, **kw):
    data = dict(student=world.a1, actor=actor or world.principal_a, kind=kind, reason="重度脑瘫，无法到校",
                guardian_name="张父", application_file=_pdf(), assessment_kind="disability",
                assessment_file=_pdf("残疾证.pdf"), start_date=TODAY, end_date=TODAY + datetime.timedelta(days=300),
                now=FIXED_NOW)
    data.update(kw)
    return exemption_apply(**data)


@pytest.fixture
def case_a1(world):
    return case_open(student=world.a1, trigger=Case.Trigger.TEACHER_REPORT, actor=world.head_a,
                     reasons=[Case.Reason.DISABILITY], now=FIXED_NOW)


def test_exemption_goes_village_then_subdistrict_then_office_and_closes_case(world, case_a1):
    exemption = _apply(world)
    assert exemption.status == Exemption.Status.PENDING_VILLAGE and exemption.case == case_a1
    assert Notification.objects.filter(recipient=world.village, title__contains="待村").exists()
    exemption_decide(exemption=exemption, actor=world.village, approve=True, comment="属实", now=FIXED_NOW)
    assert Notification.objects.filter(recipient=world.subdistrict, title__contains="办事处").exists()
    exemption_decide(exemption=exemption, actor=world.subdistrict, approve=True, now=FIXED_NOW)
    assert Notification.objects.filter(recipient=world.office, title__contains="教育办备案").exists()
    exemption_decide(exemption=exemption, actor=world.office, approve=True, comment="已备案", now=FIXED_NOW)
    exemption.refresh_from_db()
    case_a1.refresh_from_db()
    assert exemption.status == Exemption.Status.FILED and exemption.filed_at == FIXED_NOW
    assert case_a1.status == S.CLOSED_EXEMPT
    steps = list(exemption.steps.values_list("step", "decision", "actor__username"))
    assert steps == [("apply", "submit", "principal_a"), ("village", "approve", "village"),
                     ("subdistrict", "approve", "subdistrict"), ("office", "approve", "office")]


def test_deferral_pauses_the_case_until_its_end(world, case_a1):
    exemption = _apply(world, kind=Exemption.Kind.DEFERRAL, assessment_kind="hospital")
    for user in (world.village, world.subdistrict, world.office):
        exemption_decide(exemption=exemption, actor=user, approve=True, now=FIXED_NOW)
    case_a1.refresh_from_db()
    assert case_a1.status == S.PAUSED and case_a1.paused_until == exemption.end_date
    assert case_a1.stage_due_at is None and not case_a1.is_closed


@pytest.mark.parametrize("step_index,wrong_user", [(0, "principal_a"), (0, "subdistrict"), (0, "office"),
                                                   (1, "village"), (1, "office"), (2, "subdistrict"),
                                                   (2, "principal_a")])
def test_exemption_each_step_only_by_its_role(world, case_a1, step_index, wrong_user):
    exemption = _apply(world)
    for user in (world.village, world.subdistrict)[:step_index]:
        exemption_decide(exemption=exemption, actor=user, approve=True, now=FIXED_NOW)
    with pytest.raises(PermissionDenied):
        exemption_decide(exemption=exemption, actor=getattr(world, wrong_user), approve=True, now=FIXED_NOW)
    assert exemption.steps.count() == 1 + step_index


def test_exemption_rejection_needs_reason_and_ends_the_request(world, case_a1):
    exemption = _apply(world)
    with pytest.raises(CaseError, match="不同意时"):
        exemption_decide(exemption=exemption, actor=world.village, approve=False, now=FIXED_NOW)
    exemption_decide(exemption=exemption, actor=world.village, approve=False, comment="孩子能到校", now=FIXED_NOW)
    exemption.refresh_from_db()
    assert exemption.status == Exemption.Status.REJECTED
    assert Notification.objects.filter(recipient=world.principal_a, title__contains="未获批准").exists()
    with pytest.raises(CaseError, match="已办结"):
        exemption_decide(exemption=exemption, actor=world.subdistrict, approve=True, now=FIXED_NOW)
    case_a1.refresh_from_db()
    assert case_a1.status == S.WARNING


@pytest.mark.parametrize("change,message", [
    ({"kind": "deferral", "end_date": TODAY + datetime.timedelta(days=400)}, "最长一年"),
    ({"end_date": TODAY}, "晚于开始日期"),
    ({"application_file": SimpleUploadedFile("a.exe", b"MZ")}, "格式不支持"),
    ({"assessment_file": SimpleUploadedFile("b.pdf", b"not a pdf")}, "不是有效的 PDF"),
    ({"guardian_name": ""}, "法定监护人"),
])
def test_exemption_bad_application_is_refused(world, case_a1, change, message):
    with pytest.raises(CaseError, match=message):
        _apply(world, **change)
    assert not Exemption.objects.exists() and not ExemptionStep.objects.exists()


def test_exemption_duplicate_pending_is_refused(world, case_a1):
    _apply(world)
    with pytest.raises(CaseError, match="待审批"):
        _apply(world)


# ---------------------------------------------------------------------------------------------- 送教上门
def _plan(world, **kw):
    data = dict(student=world.a1, actor=world.principal_a, disability="脑瘫", goals="生活自理",
                schedule_days=[1, 3], start_date=datetime.date(2026, 10, 1), end_date=datetime.date(2027, 1, 15),
                teachers=[world.teacher_a, world.head_a], now=FIXED_NOW)
    data.update(kw)
    return plan_create(**data)


def test_plan_keeps_child_on_roll_and_counts_planned_vs_delivered(world, term):
    CalendarException.objects.create(date=datetime.date(2026, 10, 1), kind="holiday", name="国庆")
    plan = _plan(world)
    world.a1.refresh_from_db()
    assert world.a1.status == "enrolled" and plan.school == world.school_a
    for day in (datetime.date(2026, 10, 6), datetime.date(2026, 10, 8), datetime.date(2026, 10, 9)):
        session_log(plan=plan, actor=world.teacher_a, date=day, duration_minutes=90, content="识字",
                    teacher=world.teacher_a, now=FIXED_NOW)
    rows = planned_vs_delivered(plan, until=datetime.date(2026, 10, 31))
    assert rows[0]["month"] == "2026年10月"
    # Tuesdays and Thursdays of October 2026 that are school days: 6, 8, 13, 15, 20, 22, 27, 29 (1 Oct holiday)
    assert rows[0]["planned"] == 8 and rows[0]["delivered"] == 3 and rows[0]["short"]


def test_plan_age_must_be_6_to_15(world):
    world.a1.birth_date = datetime.date(2008, 1, 1)
    world.a1.save()
    with pytest.raises(CaseError, match="6 至 15 周岁"):
        _plan(world)
    assert not TeachingPlan.objects.exists()


def test_plan_teachers_must_be_colleagues(world):
    with pytest.raises(CaseError, match="本校教师"):
        _plan(world, teachers=[world.teacher_b])


def test_session_same_key_creates_one_and_must_be_in_plan(world, term):
    plan = _plan(world)
    key = uuid.uuid4()
    first, created = session_log(plan=plan, actor=world.teacher_a, date=datetime.date(2026, 10, 6),
                                 duration_minutes=90, content="识字", teacher=world.teacher_a, idempotency_key=key,
                                 now=FIXED_NOW)
    again, created_again = session_log(plan=plan, actor=world.teacher_a, date=datetime.date(2026, 10, 6),
                                       duration_minutes=90, content="识字", teacher=world.teacher_a,
                                       idempotency_key=key, now=FIXED_NOW)
    assert created and not created_again and first.pk == again.pk
    with pytest.raises(CaseError, match="方案期限内"):
        session_log(plan=plan, actor=world.teacher_a, date=datetime.date(2026, 9, 6), duration_minutes=90,
                    content="识字", teacher=world.teacher_a, now=FIXED_NOW)
    with pytest.raises(CaseError, match="方案中的教师"):
        session_log(plan=plan, actor=world.teacher_a, date=datetime.date(2026, 10, 6), duration_minutes=90,
                    content="识字", teacher=world.principal_a, now=FIXED_NOW)


# ---------------------------------------------------------------------------------------------- 资助
def test_assistance_record_lands_on_the_open_case_timeline(world, case_a1):
    record = assistance_record(student=world.a1, actor=world.principal_a, kind="nutrition", date=TODAY,
                               amount=200, source="营养改善计划", now=FIXED_NOW)
    assert record.case == case_a1
    assert case_a1.events.filter(kind="assistance", reason__contains="营养餐 200").exists()


@pytest.mark.parametrize("change,message", [({"amount": -5}, "负数"), ({"source": ""}, "来源"),
                                            ({"kind": "cash"}, "资助项目"),
                                            ({"date": TODAY + datetime.timedelta(days=2)}, "不能晚于今天")])
def test_assistance_bad_input_is_refused(world, change, message):
    data = dict(student=world.a1, actor=world.principal_a, kind="donation", date=TODAY, amount=100,
                source="爱心企业", now=FIXED_NOW)
    data.update(change)
    with pytest.raises(CaseError, match=message):
        assistance_record(**data)
    assert not AssistanceRecord.objects.exists()


def test_assistance_outside_scope_is_refused(world):
    with pytest.raises(PermissionDenied):
        assistance_record(student=world.b1, actor=world.principal_a, kind="donation", date=TODAY, source="x",
                          now=FIXED_NOW)
