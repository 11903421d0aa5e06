"""Case services: opening, tiers (escalate / return down), return, retention, closing."""
import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from cases.models import AssistanceRecord, Case, CaseClosure, CaseEvent, FollowUp, Notification, TierPolicy
from cases.services import (
    CaseError, assistance_record, case_closure_request, case_closure_review, case_escalate, case_open,
    case_record_return, case_return_down, case_start_retention, case_transition, case_update, followup_complete,
)
from kongchuo.models import CalendarException
from students.models import Student
from tests import factories as f
from tests.cases.conftest import FIXED_NOW

S = Case.Status
MONDAY = FIXED_NOW  # 2026-10-12 09:00, a Monday


def _open(world, student=None, actor=None, **kw):
    return case_open(student=student or world.a1, trigger=Case.Trigger.TEACHER_REPORT, actor=actor or world.head_a,
                     now=MONDAY, **kw)


# ---------------------------------------------------------------------------------------------- open
def test_case_open_gives_case_to_care_teacher_with_deadline_and_event(world):
    case = _open(world, reasons=[Case.Reason.POVERTY, Case.Reason.STUDY], note="连续缺课")
    assert case.status == S.WARNING and case.stage == Case.Stage.TEACHER
    assert case.owner == world.teacher_a and case.responsible_teacher == world.teacher_a  # 包保 teacher first
    assert case.school == world.school_a
    assert sorted(case.reason_codes) == ["poverty", "study"]
    # teacher tier: 5 working days after Monday 12 Oct → Monday 19 Oct, end of day
    assert case.stage_due_at.date() == datetime.date(2026, 10, 19)
    event = case.events.get()
    assert event.kind == CaseEvent.Kind.OPENED and event.actor == world.head_a and event.reason == "连续缺课"
    assert Notification.objects.filter(recipient=world.teacher_a, case=case).exists()


def test_case_open_refuses_second_open_case_for_same_student(world):
    _open(world)
    with pytest.raises(CaseError, match="已有未结案的个案"):
        _open(world)
    assert Case.objects.filter(student=world.a1).count() == 1


def test_case_open_database_constraint_allows_one_open_case(world):
    case = _open(world)
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.create(student=world.a1, trigger=Case.Trigger.ABSENCE)
    Case.objects.filter(pk=case.pk).update(status=S.CLOSED_TRANSFER)
    Case.objects.create(student=world.a1, trigger=Case.Trigger.ABSENCE)  # a closed one does not count


def test_case_open_outside_scope_is_refused(world):
    with pytest.raises(PermissionDenied):
        _open(world, student=world.b1, actor=world.head_a)


def test_case_open_invalid_reason_is_a_clear_error(world):
    with pytest.raises(CaseError, match="辍学原因无效"):
        _open(world, reasons=["lazy"])
    assert not Case.objects.exists()


def test_case_open_without_teacher_account_starts_at_school(world):
    case = _open(world, student=world.a4, actor=world.principal_a)
    assert case.stage == Case.Stage.SCHOOL and case.owner == world.principal_a


def test_case_open_for_child_without_school_starts_at_office(world):
    child = f.StudentFactory(name="未入学儿童", school_class=world.class_c31, village=world.v1)
    Student.objects.filter(pk=child.pk).update(school=None, grade=None, school_class=None,
                                               status=Student.Status.NOT_ENROLLED)
    child.refresh_from_db()
    case = case_open(student=child, trigger=Case.Trigger.NEVER_ENROLLED, actor=world.village, now=MONDAY)
    assert case.stage == Case.Stage.OFFICE and case.owner == world.office


# ---------------------------------------------------------------------------------------------- escalate
def test_case_escalate_hands_to_next_tier_owner_with_notification_and_deadline(world):
    case = _open(world)
    CalendarException.objects.create(date=datetime.date(2026, 10, 14), kind="holiday", name="测试假日")
    event = case_escalate(case=case, actor=world.teacher_a, reason="家长拒绝沟通", now=MONDAY)
    case.refresh_from_db()
    assert case.stage == Case.Stage.SCHOOL and case.owner == world.principal_a
    assert case.responsible_school == world.principal_a and case.responsible_teacher == world.teacher_a
    # school tier: 10 working days, Wednesday 14 Oct is a holiday → Tuesday 27 Oct
    assert case.stage_due_at.date() == datetime.date(2026, 10, 27)
    assert event.reason == "家长拒绝沟通" and event.from_stage == "teacher" and event.to_stage == "school"
    note = Notification.objects.get(recipient=world.principal_a, case=case, title__startswith="个案上报")
    assert "家长拒绝沟通" in note.body and note.read_at is None


def test_case_escalate_tier_deadline_is_configurable(world):
    TierPolicy.objects.create(stage=Case.Stage.SCHOOL, deadline_workdays=2, auto_escalate=False)
    case = _open(world)
    case_escalate(case=case, actor=world.teacher_a, reason="x", now=MONDAY)
    case.refresh_from_db()
    assert case.stage_due_at.date() == datetime.date(2026, 10, 14)


def test_case_escalate_through_every_tier_then_refuses(world):
    case = _open(world)
    case_escalate(case=case, actor=world.teacher_a, reason="一", now=MONDAY)
    case_escalate(case=case, actor=world.principal_a, reason="二", now=MONDAY)
    case_escalate(case=case, actor=world.office, reason="三", now=MONDAY)
    case.refresh_from_db()
    assert case.stage == Case.Stage.SUBDISTRICT and case.owner == world.subdistrict
    with pytest.raises(CaseError, match="最高层级"):
        case_escalate(case=case, actor=None, system=True, reason="四", now=MONDAY)


def test_case_escalate_requires_reason(world):
    case = _open(world)
    with pytest.raises(CaseError, match="上报原因"):
        case_escalate(case=case, actor=world.teacher_a, reason=" ", now=MONDAY)


def test_case_escalate_by_lower_tier_once_case_moved_up_is_refused(world):
    case = _open(world)
    case_escalate(case=case, actor=world.teacher_a, reason="x", now=MONDAY)
    with pytest.raises(PermissionDenied, match="学校"):
        case_escalate(case=case, actor=world.teacher_a, reason="再上报", now=MONDAY)


def test_case_escalate_can_pick_another_owner_of_the_tier(world):
    second = f.UserFactory(username="principal_a2")
    f.RoleAssignmentFactory(user=second, role="school_admin", school=world.school_a)
    case = _open(world)
    case_escalate(case=case, actor=world.teacher_a, reason="x", to_user=second, now=MONDAY)
    case.refresh_from_db()
    assert case.owner == second
    with pytest.raises(CaseError, match="不是该学生"):
        case_escalate(case=case, actor=world.principal_a, reason="x", to_user=world.subdistrict, now=MONDAY)


def test_case_return_down_goes_back_to_previous_owner_with_instructions(world):
    case = _open(world)
    case_escalate(case=case, actor=world.teacher_a, reason="x", now=MONDAY)
    event = case_return_down(case=case, actor=world.principal_a, instructions="请再家访一次并带上资助政策", now=MONDAY)
    case.refresh_from_db()
    assert case.stage == Case.Stage.TEACHER and case.owner == world.teacher_a
    assert event.kind == CaseEvent.Kind.RETURNED_DOWN and "资助政策" in event.reason
    assert Notification.objects.filter(recipient=world.teacher_a, title__startswith="个案退回").exists()
    with pytest.raises(CaseError, match="最低层级"):
        case_return_down(case=case, actor=world.principal_a, instructions="x", now=MONDAY)


def test_case_return_down_requires_instructions(world):
    case = _open(world)
    case_escalate(case=case, actor=world.teacher_a, reason="x", now=MONDAY)
    with pytest.raises(CaseError, match="退回说明"):
        case_return_down(case=case, actor=world.principal_a, instructions="", now=MONDAY)


# ---------------------------------------------------------------------------------------------- return
def test_case_record_return_sets_placement_and_stops_the_clock(world):
    case = _open(world)
    case_transition(case=case, to_status=S.PERSUADING, actor=world.head_a, now=MONDAY)
    event = case_record_return(case=case, actor=world.head_a, return_date=MONDAY.date(),
                               placement=Case.Placement.INSERTED, now=MONDAY)
    case.refresh_from_db()
    assert case.status == S.RETURNED and case.placement == "inserted" and case.return_date == MONDAY.date()
    assert case.stage == Case.Stage.SCHOOL and case.stage_due_at is None and not case.is_overdue()
    assert event.kind == CaseEvent.Kind.RETURN and "插班" in event.reason


def test_case_return_offers_no_refusal(world):
    labels = "".join(label for _, label in Case.Placement.choices)
    assert "拒" not in labels and len(Case.Placement.choices) == 7


@pytest.mark.parametrize("placement,date_shift,message", [
    ("", 0, "安置方式"), ("refused", 0, "安置方式"), ("original", 1, "不能晚于今天")])
def test_case_record_return_bad_input_is_refused(world, placement, date_shift, message):
    case = _open(world)
    with pytest.raises(CaseError, match=message):
        case_record_return(case=case, actor=world.head_a, placement=placement,
                           return_date=MONDAY.date() + datetime.timedelta(days=date_shift), now=MONDAY)
    case.refresh_from_db()
    assert case.status == S.WARNING


# ---------------------------------------------------------------------------------------------- retention
@pytest.fixture
def returned_case(world, term):
    case = _open(world, reasons=[Case.Reason.POVERTY])
    case_record_return(case=case, actor=world.head_a, return_date=MONDAY.date(), placement="original", now=MONDAY)
    return case


def test_case_start_retention_schedules_followups_for_at_least_a_term(world, returned_case):
    case_start_retention(case=returned_case, actor=world.head_a, mentor=world.teacher_a, now=MONDAY)
    case = returned_case
    case.refresh_from_db()
    assert case.status == S.RETENTION and case.mentor == world.teacher_a and case.owner == world.teacher_a
    # the term of the fixture ends 2027-01-22; a return on 12 Oct needs ~4 months → that term end at the earliest
    assert case.retention_until >= datetime.date(2027, 1, 22)
    visits = FollowUp.objects.filter(case=case, kind="visit")
    counselling = FollowUp.objects.filter(case=case, kind="counselling")
    assert visits.count() >= 3 and counselling.count() >= 7
    assert all(fu.due_date.weekday() < 5 for fu in FollowUp.objects.filter(case=case))


def test_case_start_retention_refuses_less_than_a_term(world, returned_case):
    with pytest.raises(CaseError, match="不少于一个学期"):
        case_start_retention(case=returned_case, actor=world.head_a, mentor=world.teacher_a,
                             until=datetime.date(2026, 11, 1), now=MONDAY)


def test_case_start_retention_mentor_must_be_a_colleague(world, returned_case):
    with pytest.raises(CaseError, match="本校教师"):
        case_start_retention(case=returned_case, actor=world.head_a, mentor=world.teacher_b, now=MONDAY)


def test_followup_complete_records_who_and_when(world, returned_case):
    case_start_retention(case=returned_case, actor=world.head_a, mentor=world.teacher_a, now=MONDAY)
    followup = returned_case.followups.first()
    later = MONDAY + datetime.timedelta(days=30)
    followup_complete(followup=followup, actor=world.teacher_a, done_on=later.date(), note="学生状态良好", now=later)
    followup.refresh_from_db()
    assert followup.done_on == later.date() and followup.done_by == world.teacher_a
    assert returned_case.events.filter(kind=CaseEvent.Kind.FOLLOWUP, reason__contains="学生状态良好").exists()


# ---------------------------------------------------------------------------------------------- closing
def _finish_retention(case, world):
    case_start_retention(case=case, actor=world.head_a, mentor=world.teacher_a, now=MONDAY)
    case.refresh_from_db()
    end = case.retention_until + datetime.timedelta(days=1)
    for followup in case.followups.all():
        followup_complete(followup=followup, actor=world.teacher_a, done_on=followup.due_date, note="正常",
                          now=MONDAY.replace(year=end.year, month=end.month, day=end.day))
    return MONDAY.replace(year=end.year, month=end.month, day=end.day)


def test_closure_needs_the_term_of_retention(world, returned_case):
    case_start_retention(case=returned_case, actor=world.head_a, mentor=world.teacher_a, now=MONDAY)
    with pytest.raises(CaseError, match="未满一个学期"):
        case_closure_request(case=returned_case, actor=world.head_a, attended_days=1, evidence_note="x",
                             now=MONDAY + datetime.timedelta(days=20))


def test_closure_refused_with_missed_followups(world, returned_case):
    case_start_retention(case=returned_case, actor=world.head_a, mentor=world.teacher_a, now=MONDAY)
    returned_case.refresh_from_db()
    end = returned_case.retention_until + datetime.timedelta(days=2)
    later = MONDAY.replace(year=end.year, month=end.month, day=end.day)
    with pytest.raises(CaseError, match="逾期未完成"):
        case_closure_request(case=returned_case, actor=world.head_a, attended_days=10, evidence_note="x", now=later)


def test_closure_of_poverty_case_needs_assistance_record(world, returned_case):
    later = _finish_retention(returned_case, world)
    with pytest.raises(CaseError, match="因贫"):
        case_closure_request(case=returned_case, actor=world.head_a, attended_days=10, evidence_note="x", now=later)
    assistance_record(student=world.a1, actor=world.principal_a, kind="two_free_one", date=MONDAY.date(),
                      amount=625, source="县财政", now=later)
    closure = case_closure_request(case=returned_case, actor=world.head_a, attended_days=10,
                                   evidence_note="出勤正常", now=later)
    assert closure.status == CaseClosure.Status.PENDING and closure.enrolment_restored
    assert closure.school_days_since_return > 10


def test_closure_needs_enrolment_restored(world, returned_case):
    later = _finish_retention(returned_case, world)
    AssistanceRecord.objects.create(student=world.a1, kind="donation", date=MONDAY.date(), source="爱心企业",
                                    recorded_by=world.principal_a)
    Student.objects.filter(pk=world.a1.pk).update(status=Student.Status.DROPPED_OUT)
    with pytest.raises(CaseError, match="学籍尚未恢复"):
        case_closure_request(case=returned_case, actor=world.head_a, attended_days=10, evidence_note="x", now=later)


def test_closure_approved_only_by_office_reviewer(world, returned_case):
    later = _finish_retention(returned_case, world)
    assistance_record(student=world.a1, actor=world.principal_a, kind="fee_waiver", date=MONDAY.date(),
                      source="学校", now=later)
    closure = case_closure_request(case=returned_case, actor=world.head_a, attended_days=12, evidence_note="出勤正常",
                                   now=later)
    assert Notification.objects.filter(recipient=world.office, title__startswith="销号待审核").exists()
    with pytest.raises(PermissionDenied):
        case_closure_review(closure=closure, actor=world.principal_a, approve=True, now=later)
    event = case_closure_review(closure=closure, actor=world.office, approve=True, comment="同意", now=later)
    returned_case.refresh_from_db()
    closure.refresh_from_db()
    assert returned_case.status == S.CLOSED and returned_case.closed_by == world.office
    assert closure.reviewer == world.office and closure.status == CaseClosure.Status.APPROVED
    assert event.to_status == S.CLOSED and event.actor == world.office


def test_closure_rejection_needs_comment_and_keeps_case_open(world, returned_case):
    later = _finish_retention(returned_case, world)
    assistance_record(student=world.a1, actor=world.principal_a, kind="fee_waiver", date=MONDAY.date(),
                      source="学校", now=later)
    closure = case_closure_request(case=returned_case, actor=world.head_a, attended_days=12, evidence_note="x",
                                   now=later)
    with pytest.raises(CaseError, match="退回时"):
        case_closure_review(closure=closure, actor=world.office, approve=False, now=later)
    case_closure_review(closure=closure, actor=world.office, approve=False, comment="补充出勤表", now=later)
    returned_case.refresh_from_db()
    assert returned_case.status == S.RETENTION
    assert Notification.objects.filter(recipient=world.head_a, title__startswith="销号申请被退回").exists()


def test_closure_attendance_cannot_exceed_school_days(world, returned_case):
    later = _finish_retention(returned_case, world)
    assistance_record(student=world.a1, actor=world.principal_a, kind="fee_waiver", date=MONDAY.date(),
                      source="学校", now=later)
    with pytest.raises(CaseError, match="实际到校天数"):
        case_closure_request(case=returned_case, actor=world.head_a, attended_days=999, evidence_note="x", now=later)
    assert not CaseClosure.objects.exists()


# ---------------------------------------------------------------------------------------------- edits
def test_case_update_records_changes_on_timeline(world):
    case = _open(world)
    event = case_update(case=case, actor=world.head_a, reasons=["work", "with_parents"], whereabouts="广东东莞",
                        now=MONDAY)
    case.refresh_from_db()
    assert sorted(case.reason_codes) == ["with_parents", "work"] and case.whereabouts == "广东东莞"
    assert "辍学原因" in event.reason and "去向" in event.reason


def test_case_cannot_be_hard_deleted(world):
    case = _open(world)
    with pytest.raises(PermissionDenied):
        case.delete()


def test_case_events_are_append_only(world):
    event = _open(world).events.get()
    event.reason = "改写"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
