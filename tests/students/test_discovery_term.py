"""Term start: 报到 confirmation, the 未返校 check, 去向 (students/discovery/term.py)."""
from datetime import date
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from kongchuo.models import SchoolYear
from students import signals
from students.discovery import absences, term as services
from students.models import Absence, NonReturnEntry, StatusChange, Student, TermArrival
from tests import factories as f

TODAY = date(2026, 9, 4)  # Friday of the first week of term 1 of 2026-2027


@pytest.fixture
def terms(world):
    last_year = SchoolYear.objects.create(name="2025-2026", start_date=date(2025, 9, 1), end_date=date(2026, 8, 31))
    previous = f.TermFactory(school_year=last_year, number=2, start_date=date(2026, 3, 2), end_date=date(2026, 7, 3))
    current = f.TermFactory(school_year=world.year, number=1, start_date=date(2026, 9, 1), end_date=date(2027, 1, 22))
    return previous, current


@pytest.fixture
def recorded(db):
    events = []

    def receiver(sender, **kwargs):
        events.append(kwargs)

    signals.non_return_recorded.connect(receiver, weak=False)
    yield events
    signals.non_return_recorded.disconnect(receiver)


def confirm(world, term, school_class, *arrived, actor=None, today=TODAY):
    return services.term_arrival_save(term=term, school_class=school_class, arrived_ids=[s.pk for s in arrived],
                                      actor=actor or world.head_a, today=today)


def check(world, term, today=TODAY, school=None):
    return services.term_start_check(school=school or world.school_a, term=term, actor=world.principal_a, today=today)


# ------------------------------------------------------------------ 报到
def test_arrival_save_marks_whole_class_and_updates(world, terms):
    _, current = terms
    result = confirm(world, current, world.class_a31, world.a1)
    assert (result.arrived, result.missing) == (1, 1)
    assert dict(TermArrival.objects.values_list("student__name", "arrived")) == {"张保杰": True, "李明": False}
    confirm(world, current, world.class_a31, world.a1, world.a2)
    assert TermArrival.objects.count() == 2 and TermArrival.objects.filter(arrived=True).count() == 2


def test_arrival_rejects_student_of_other_class(world, terms):
    _, current = terms
    with pytest.raises(ValidationError, match="不在本班"):
        confirm(world, current, world.class_a31, world.a1, world.a3)
    assert not TermArrival.objects.exists()


@pytest.mark.parametrize("today,message", [(date(2026, 8, 20), "尚未开始报到"), (date(2027, 1, 25), "已结束")])
def test_arrival_outside_term_is_refused(world, terms, today, message):
    _, current = terms
    with pytest.raises(ValidationError, match=message):
        confirm(world, current, world.class_a31, world.a1, today=today)


# ------------------------------------------------------------------ the check
def test_check_lists_unreported_students_of_confirmed_classes(world, terms, recorded):
    _, current = terms
    confirm(world, current, world.class_a31, world.a1)  # a2 did not report
    result = check(world, current)
    assert [e.student for e in result.created] == [world.a2]
    entry = result.created[0]
    assert (entry.status, entry.school, entry.school_class, entry.created_by) == (
        "pending", world.school_a, world.class_a31, world.principal_a)
    assert recorded == [{"signal": signals.non_return_recorded, "student": world.a2, "entry": entry,
                         "actor": world.principal_a}]
    # a3 (3(2)) and a4 (4(1)): their classes have not confirmed 报到 — reported, not guessed.
    assert {(str(c), n) for c, n in result.unconfirmed} == {("三年级2班", 1), ("四年级1班", 1)}


def test_check_twice_gives_same_entries(world, terms, recorded):
    _, current = terms
    confirm(world, current, world.class_a31, world.a1)
    check(world, current)
    second = check(world, current)
    assert second.created == [] and second.existing == 1
    assert NonReturnEntry.objects.count() == 1 and len(recorded) == 1


def test_check_counts_roll_call_presence_as_reported(world, terms):
    _, current = terms
    absences.rollcall_save(school_class=world.class_a32, day=date(2026, 9, 2), marks={world.a3.pk: ""},
                           actor=world.principal_a, today=TODAY)
    result = check(world, current)
    assert world.a3.pk not in {e.student_id for e in result.created}
    assert "三年级2班" not in {str(c) for c, _ in result.unconfirmed}


def test_check_roll_call_absence_every_day_means_not_returned(world, terms):
    _, current = terms
    for day in (date(2026, 9, 1), date(2026, 9, 2)):
        absences.rollcall_save(school_class=world.class_a32, day=day, marks={world.a3.pk: "unexcused"},
                               actor=world.principal_a, today=TODAY)
    assert [e.student for e in check(world, current).created] == [world.a3]


def test_check_skips_students_with_recorded_status_change(world, terms):
    previous, current = terms
    TermArrival.objects.create(term=previous, student=world.a2, school=world.school_a, recorded_by=world.head_a)
    StatusChange.objects.create(student=world.a2, kind=StatusChange.Kind.TRANSFER_OUT, date=date(2026, 7, 10),
                                reason="随父母迁居", status_before="enrolled", status_after="transfer_pending",
                                from_school=world.school_a, recorded_by=world.principal_a)
    Student.objects.filter(pk=world.a2.pk).update(status=Student.Status.TRANSFER_PENDING)
    confirm(world, current, world.class_a31, world.a1)
    assert check(world, current).created == []


def test_check_finds_student_removed_without_status_change(world, terms):
    """四(五)1: a school may not silently remove a student — last term's roster still counts them."""
    previous, current = terms
    TermArrival.objects.create(term=previous, student=world.a2, school=world.school_a, recorded_by=world.head_a)
    Student.objects.filter(pk=world.a2.pk).update(status=Student.Status.DROPPED_OUT, school_class=None)
    confirm(world, current, world.class_a31, world.a1)
    result = check(world, current)
    assert [e.student_id for e in result.created] == [world.a2.pk]
    assert result.created[0].school_class is None


def test_check_uses_enrolment_of_previous_term(world, terms):
    from students.models import Enrolment

    previous, current = terms
    ghost = f.StudentFactory(name="钱多", school_class=world.class_b31, status=Student.Status.DROPPED_OUT)
    Student.objects.filter(pk=ghost.pk).update(school=None, grade=None, school_class=None)
    Enrolment.objects.create(student=ghost, school_year=previous.school_year, school=world.school_a,
                             start_date=date(2025, 9, 1), end_date=date(2026, 7, 3))
    result = check(world, current)
    assert [e.student.name for e in result.created] == ["钱多"]


def test_check_ignores_students_now_enrolled_elsewhere(world, terms):
    previous, current = terms
    TermArrival.objects.create(term=previous, student=world.b1, school=world.school_a, recorded_by=world.head_a)
    assert check(world, current).created == []  # b1 is 在读 at school B now


def test_check_closes_entries_of_students_who_reported_later(world, terms):
    _, current = terms
    confirm(world, current, world.class_a31, world.a1)
    entry = check(world, current).created[0]
    result = confirm(world, current, world.class_a31, world.a1, world.a2, today=date(2026, 9, 8))
    entry.refresh_from_db()
    assert result.returned == [entry]
    assert (entry.status, entry.returned_on) == ("returned", date(2026, 9, 8))


def test_check_resolves_entry_when_status_change_recorded(world, terms):
    _, current = terms
    confirm(world, current, world.class_a31, world.a1)
    entry = check(world, current).created[0]
    StatusChange.objects.create(student=world.a2, kind=StatusChange.Kind.SUSPEND, date=date(2026, 9, 7),
                                reason="因病休学", status_before="enrolled", status_after="suspended",
                                recorded_by=world.principal_a)
    Student.objects.filter(pk=world.a2.pk).update(status=Student.Status.SUSPENDED)
    result = check(world, current, today=date(2026, 9, 8))
    entry.refresh_from_db()
    assert result.resolved == [entry] and entry.status == "change_recorded"


def test_check_before_term_start_is_refused(world, terms):
    _, current = terms
    with pytest.raises(ValidationError, match="尚未开学"):
        check(world, current, today=date(2026, 8, 31))


def test_current_term_is_latest_started(world, terms):
    previous, current = terms
    assert services.current_term(date(2026, 9, 4)) == current
    assert services.current_term(date(2026, 8, 1)) == previous
    assert services.current_term(date(2026, 8, 26)) == current  # registration week before the start


# ------------------------------------------------------------------ 去向
@pytest.fixture
def entry(world, terms):
    _, current = terms
    confirm(world, current, world.class_a31, world.a1)
    return check(world, current).created[0]


def test_nonreturn_update_fills_whereabouts_and_locates(world, entry):
    services.nonreturn_update(entry=entry, whereabouts="working", whereabouts_detail="在浙江杭州", note="",
                              actor=world.head_a)
    entry.refresh_from_db()
    assert (entry.status, entry.whereabouts, entry.updated_by) == ("located", "working", world.head_a)
    assert entry.history.first().history_user == world.head_a  # also outside a request (commands, demo)
    services.nonreturn_update(entry=entry, whereabouts="", actor=world.head_a)
    entry.refresh_from_db()
    assert entry.status == "pending"


@pytest.mark.parametrize("whereabouts,detail,field,message", [
    ("other", "", "whereabouts_detail", "请填写去向说明"),
    ("other_school", " ", "whereabouts_detail", "请填写去向说明"),
    ("moon", "", "whereabouts", "请从列表中选择去向"),
    ("working", "长" * 201, "whereabouts_detail", "200 字"),
])
def test_nonreturn_update_bad_input_names_field(world, entry, whereabouts, detail, field, message):
    with pytest.raises(ValidationError) as exc:
        services.nonreturn_update(entry=entry, whereabouts=whereabouts, whereabouts_detail=detail, actor=world.head_a)
    assert field in exc.value.error_dict and message in str(exc.value)
    entry.refresh_from_db()
    assert entry.whereabouts == "" and entry.status == "pending"


def test_nonreturn_mark_returned_records_arrival(world, entry):
    services.nonreturn_mark_returned(entry=entry, returned_on=date(2026, 9, 10), actor=world.head_a,
                                     today=date(2026, 9, 11))
    entry.refresh_from_db()
    assert (entry.status, entry.returned_on) == ("returned", date(2026, 9, 10))
    assert TermArrival.objects.get(student=world.a2, term=entry.term).arrived
    with pytest.raises(ValidationError, match="无需再登记返校"):
        services.nonreturn_mark_returned(entry=entry, returned_on=date(2026, 9, 10), actor=world.head_a,
                                         today=date(2026, 9, 11))


@pytest.mark.parametrize("returned_on,message", [
    (date(2026, 9, 20), "不能晚于今天"), (date(2026, 8, 30), "不能早于开学日期"), (None, "请填写返校日期")])
def test_nonreturn_mark_returned_bad_dates(world, entry, returned_on, message):
    with pytest.raises(ValidationError) as exc:
        services.nonreturn_mark_returned(entry=entry, returned_on=returned_on, actor=world.head_a,
                                         today=date(2026, 9, 11))
    assert "returned_on" in exc.value.error_dict and message in str(exc.value)


# ------------------------------------------------------------------ command
def test_term_start_check_command_prints_and_is_idempotent(world, terms):
    _, current = terms
    confirm(world, current, world.class_a31, world.a1)
    out = StringIO()
    call_command("term_start_check", "--school", world.school_a.code, "--term", str(current.pk),
                 "--date", TODAY.isoformat(), stdout=out)
    assert "新增未返校 1 人" in out.getvalue() and "李明" in out.getvalue()
    out = StringIO()
    call_command("term_start_check", "--school", world.school_a.code, "--date", TODAY.isoformat(), stdout=out)
    assert "新增未返校 0 人" in out.getvalue() and "原有 1 人" in out.getvalue()
    assert NonReturnEntry.objects.count() == 1


@pytest.mark.parametrize("args,message", [
    (["--school", "0000000000"], "找不到学校"),
    (["--term", "999999"], "找不到 ID 为 999999 的学期"),
    (["--date", "2026-02-30"], "格式不正确"),
])
def test_term_start_check_command_bad_arguments(world, terms, args, message):
    base = {"--school": world.school_a.code}
    argv = ["--school", base["--school"]] + args if args[0] != "--school" else args
    with pytest.raises(CommandError, match=message):
        call_command("term_start_check", *argv, stdout=StringIO())


def test_absences_do_not_leak_into_term_presence_of_other_terms(world, terms):
    previous, current = terms
    Absence.objects.create(student=world.a3, date=date(2026, 6, 1), reason="unexcused", recorded_by=world.head_a)
    result = check(world, current)
    assert world.a3.pk not in {e.student_id for e in result.created}


def test_status_change_closes_open_non_return_entry(world, entry):
    from students.services.status import status_change_record

    status_change_record(actor=world.principal_a, student=world.a2, kind=StatusChange.Kind.TRANSFER_OUT,
                         date=date(2026, 9, 10), reason="随父母到外省就读", other_school_name="江苏省苏州市某小学")
    entry.refresh_from_db()
    assert (entry.status, entry.updated_by) == ("change_recorded", world.principal_a)


def test_status_signal_back_to_enrolled_keeps_entry_open(world, entry):
    signals.student_status_changed.send(sender=StatusChange, student=world.a2, change=None, kind="resume",
                                        status_before="suspended", status_after="enrolled", actor=world.principal_a)
    entry.refresh_from_db()
    assert entry.status == "pending"
