"""`manage.py run_deadlines` with a fixed clock: tier deadlines, follow-ups, exemption reminders. Idempotent."""
import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from cases.models import Case, CaseEvent, Exemption, Notification, TierPolicy
from cases.services import (
    case_escalate, case_open, case_record_return, case_start_retention, case_transition, exemption_apply,
    exemption_decide,
)
from tests.cases.conftest import FIXED_NOW
from tests.cases.test_support import _pdf

S = Case.Status


def run(when):
    out = io.StringIO()
    call_command("run_deadlines", "--now", when, stdout=out)
    return out.getvalue()


@pytest.fixture
def case_a1(world):
    return case_open(student=world.a1, trigger=Case.Trigger.ABSENCE, actor=world.head_a, now=FIXED_NOW)


def test_run_deadlines_before_deadline_does_nothing(world, case_a1):
    output = run("2026-10-19T20:00")  # teacher tier ends Monday 19 Oct 23:59
    assert "自动上报" not in output and "0 项操作" in output
    case_a1.refresh_from_db()
    assert case_a1.stage == Case.Stage.TEACHER


def test_run_deadlines_twice_escalates_once(world, case_a1):
    first = run("2026-10-20T08:00")
    second = run("2026-10-20T08:00")
    case_a1.refresh_from_db()
    assert "自动上报" in first and world.a1.name in first
    assert "自动上报" not in second
    assert case_a1.stage == Case.Stage.SCHOOL and case_a1.owner == world.principal_a
    assert case_a1.events.filter(kind=CaseEvent.Kind.ESCALATED).count() == 1
    event = case_a1.events.get(kind=CaseEvent.Kind.ESCALATED)
    assert event.actor is None and "系统自动上报" in event.reason and event.details["system"] is True
    assert Notification.objects.filter(recipient=world.principal_a, case=case_a1,
                                       title__startswith="个案上报").count() == 1
    # the school's tier: 10 working days from Tuesday 20 Oct → Tuesday 3 Nov
    assert timezone.localdate(case_a1.stage_due_at) == datetime.date(2026, 11, 3)


def test_run_deadlines_without_auto_escalation_reminds_owner_once(world, case_a1):
    case_escalate(case=case_a1, actor=world.teacher_a, reason="x", now=FIXED_NOW)
    case_escalate(case=case_a1, actor=world.principal_a, reason="y", now=FIXED_NOW)  # office: no auto by default
    case_a1.refresh_from_db()
    due = timezone.localdate(case_a1.stage_due_at)
    later = (due + datetime.timedelta(days=1)).isoformat() + "T08:00"
    first, second = run(later), run(later)
    case_a1.refresh_from_db()
    assert "超期提醒" in first and "超期提醒" not in second
    assert case_a1.stage == Case.Stage.OFFICE
    assert Notification.objects.filter(recipient=world.office, title__startswith="个案超期").count() == 1
    assert case_a1.events.filter(kind=CaseEvent.Kind.DEADLINE).count() == 1


def test_run_deadlines_policy_turns_auto_escalation_on(world, case_a1):
    TierPolicy.objects.create(stage=Case.Stage.TEACHER, deadline_workdays=5, auto_escalate=False)
    assert "自动上报" not in run("2026-10-20T08:00")
    TierPolicy.objects.filter(stage=Case.Stage.TEACHER).update(auto_escalate=True)
    assert "自动上报" in run("2026-10-20T09:00")


def test_run_deadlines_leaves_notice_clock_cases_to_notices(world, case_a1):
    case_transition(case=case_a1, to_status=S.NOTICE_SERVED, actor=world.principal_a, reason="已送达", now=FIXED_NOW)
    output = run("2026-10-21T08:00")
    case_a1.refresh_from_db()
    assert case_a1.stage == Case.Stage.TEACHER and "自动上报" not in output


def test_run_deadlines_returned_case_has_no_tier_clock(world, case_a1):
    case_record_return(case=case_a1, actor=world.head_a, return_date=FIXED_NOW.date(), placement="original",
                       now=FIXED_NOW)
    assert "0 项操作" in run("2026-12-20T08:00")


def test_run_deadlines_missed_followup_reminds_mentor_once(world, case_a1, term):
    case_record_return(case=case_a1, actor=world.head_a, return_date=FIXED_NOW.date(), placement="original",
                       now=FIXED_NOW)
    case_start_retention(case=case_a1, actor=world.head_a, mentor=world.teacher_a, now=FIXED_NOW)
    first_due = case_a1.followups.order_by("due_date").first().due_date
    when = (first_due + datetime.timedelta(days=1)).isoformat() + "T08:00"
    first, second = run(when), run(when)
    assert "跟踪逾期" in first and "跟踪逾期" not in second
    assert Notification.objects.filter(recipient=world.teacher_a, title__startswith="保学跟踪逾期").count() == 1


def test_run_deadlines_exemption_reminder_ten_school_days_before_end(world, case_a1):
    exemption = exemption_apply(
        student=world.a1, actor=world.principal_a, kind=Exemption.Kind.DEFERRAL, reason="住院", guardian_name="张父",
        application_file=_pdf(), assessment_kind="hospital", assessment_file=_pdf(), start_date=FIXED_NOW.date(),
        end_date=datetime.date(2026, 11, 30), now=FIXED_NOW)
    for user in (world.village, world.subdistrict, world.office):
        exemption_decide(exemption=exemption, actor=user, approve=True, now=FIXED_NOW)
    assert "到期提醒" not in run("2026-11-13T08:00")  # 11 school days before 30 Nov
    first, second = run("2026-11-16T08:00"), run("2026-11-16T08:00")  # 10 school days before
    assert "到期提醒" in first and "到期提醒" not in second
    recipients = set(Notification.objects.filter(title__contains="即将到期").values_list("recipient__username",
                                                                                       flat=True))
    assert {"principal_a", "office"} <= recipients
    case_a1.refresh_from_db()
    assert case_a1.status == S.PAUSED
    ended = run("2026-12-01T08:00")
    assert "缓学到期" in ended and "缓学到期" not in run("2026-12-01T09:00")


def test_run_deadlines_rejects_bad_clock():
    with pytest.raises(CommandError, match="时间格式无效"):
        run("yesterday")
