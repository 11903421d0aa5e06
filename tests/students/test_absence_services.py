"""Roll-call, per-student entries and threshold events (students/discovery/absences.py)."""
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from kongchuo.models import CalendarException
from kongchuo.workdays import WorkCalendar
from students import signals
from students.discovery import absences
from students.models import Absence, AbsenceAlert, AbsenceEpisode, RollCall, Student
from tests import factories as f

MON = date(2026, 11, 2)  # a Monday in term 1 of 2026-2027


@pytest.fixture
def term(world):
    return f.TermFactory(school_year=world.year)


@pytest.fixture
def fired(db):
    events = []

    def receiver(sender, **kwargs):
        events.append(kwargs)

    signals.absence_threshold_reached.connect(receiver, weak=False)
    yield events
    signals.absence_threshold_reached.disconnect(receiver)


def school_days(start, n):
    cal = WorkCalendar.load()
    return cal.school_days(start, start + timedelta(days=3 * n + 10))[:n]


def call(world, day, today=None, **marks):
    """Roll-call of class a31 (students a1, a2) on `day`; marks by key: call(world, d, a1="unexcused")."""
    return absences.rollcall_save(
        school_class=world.class_a31, day=day, actor=world.head_a, today=today or day,
        marks={getattr(world, key).pk: value for key, value in {"a1": "", "a2": "", **marks}.items()})


# ------------------------------------------------------------------ roll-call
def test_rollcall_save_records_absences_and_counts(world, term):
    result = call(world, MON, a1="sick")
    assert result.absent == 1 and result.present == 1
    absence = Absence.objects.get()
    assert (absence.student, absence.reason, absence.recorded_by, absence.roll_call) == (
        world.a1, "sick", world.head_a, result.roll_call)
    assert result.roll_call.present_count == 1 and result.roll_call.absent_count == 1


def test_rollcall_resubmit_same_day_updates_never_duplicates(world, term):
    call(world, MON, a1="sick")
    call(world, MON, a1="unexcused", a2="personal")
    assert RollCall.objects.count() == 1
    assert dict(Absence.objects.values_list("student__name", "reason")) == {"张保杰": "unexcused", "李明": "personal"}
    call(world, MON)  # everyone present after all
    assert Absence.objects.count() == 0
    assert RollCall.objects.get().absent_count == 0
    assert Absence.history.filter(history_type="-").count() == 2  # deletions stay in the history


def test_rollcall_student_missing_from_post_keeps_existing_mark(world, term):
    call(world, MON, a1="sick")
    absences.rollcall_save(school_class=world.class_a31, day=MON, actor=world.head_a, today=MON,
                           marks={world.a2.pk: ""})
    assert Absence.objects.get().student == world.a1


@pytest.mark.parametrize("day,message", [
    (date(2026, 11, 7), "不是上课日"),          # Saturday
    (date(2026, 11, 9), "不能晚于今天"),        # future
    (date(2026, 8, 3), "不是上课日"),           # before the term (summer vacation)
])
def test_rollcall_rejects_bad_dates_in_chinese(world, term, day, message):
    with pytest.raises(ValidationError) as exc:
        absences.rollcall_save(school_class=world.class_a31, day=day, actor=world.head_a, today=date(2026, 11, 8),
                               marks={world.a1.pk: "sick"})
    assert "date" in exc.value.error_dict and message in str(exc.value)
    assert not RollCall.objects.exists() and not Absence.objects.exists()


def test_rollcall_rejects_holiday(world, term):
    CalendarException.objects.create(date=MON, kind=CalendarException.Kind.HOLIDAY, name="测试假日")
    with pytest.raises(ValidationError, match="不是上课日"):
        call(world, MON, a1="sick")


def test_rollcall_rejects_student_of_other_class_and_saves_nothing(world, term):
    with pytest.raises(ValidationError) as exc:
        absences.rollcall_save(school_class=world.class_a31, day=MON, actor=world.head_a, today=MON,
                               marks={world.a1.pk: "sick", world.a3.pk: "unexcused"})
    assert "marks" in exc.value.error_dict and "不在本班" in str(exc.value)
    assert not RollCall.objects.exists() and not Absence.objects.exists()


def test_rollcall_rejects_unknown_reason_naming_the_student(world, term):
    with pytest.raises(ValidationError, match="张保杰"):
        call(world, MON, a1="truant")
    assert not Absence.objects.exists()


def test_rollcall_leaves_out_students_not_enrolled(world, term):
    Student.objects.filter(pk=world.a2.pk).update(status=Student.Status.SUSPENDED)
    with pytest.raises(ValidationError):
        call(world, MON, a2="unexcused")
    result = absences.rollcall_save(school_class=world.class_a31, day=MON, actor=world.head_a, today=MON,
                                    marks={world.a1.pk: ""})
    assert result.present == 1 and result.absent == 0


# ------------------------------------------------------------------ thresholds
def test_three_unexcused_days_fire_alert_once(world, term, fired):
    days = school_days(MON, 4)
    for day in days[:2]:
        call(world, day, a1="unexcused")
    assert not fired
    result = call(world, days[2], a1="unexcused")
    assert [a.level for a in result.evaluation.alerts] == ["alert"]
    assert fired == [{"signal": signals.absence_threshold_reached, "student": world.a1, "level": "alert", "days": 3,
                      "since": days[0], "actor": world.head_a}]
    call(world, days[2], a1="unexcused")  # re-submitting the same day
    absences.absences_evaluate(as_of=days[2])
    assert len(fired) == 1 and AbsenceAlert.objects.count() == 1
    alert = AbsenceAlert.objects.get()
    assert alert.reached_on == days[2] and alert.since == days[0]


def test_thresholds_suspected_and_dropout_over_a_long_streak(world, term, fired):
    days = school_days(MON, 23)
    absences.absence_record(student=world.a1, start=days[0], end=days[-1], reason="unexcused", actor=world.head_a,
                            today=days[-1])
    assert [e["level"] for e in fired] == ["alert", "suspected", "dropout"]
    reached = dict(AbsenceAlert.objects.values_list("level", "reached_on"))
    assert reached == {"alert": days[2], "suspected": days[5], "dropout": days[22]}
    episode = AbsenceEpisode.objects.get()
    assert (episode.days, episode.level, episode.is_open) == (23, "dropout", True)


def test_check_absences_command_is_idempotent_and_prints(world, term, fired):
    days = school_days(MON, 6)
    absences.absence_record(student=world.a2, start=days[0], end=days[-1], reason="unexcused", actor=world.head_a,
                            today=days[-1])
    AbsenceAlert.objects.all().delete()
    AbsenceEpisode.objects.all().delete()
    fired.clear()
    out = StringIO()
    call_command("check_absences", "--date", days[-1].isoformat(), stdout=out)
    assert "李明" in out.getvalue() and "疑似辍学" in out.getvalue()
    assert [e["level"] for e in fired] == ["alert", "suspected"] and fired[0]["actor"] is None
    out = StringIO()
    call_command("check_absences", "--date", days[-1].isoformat(), stdout=out)
    assert "新预警 0 条" in out.getvalue() and len(fired) == 2


def test_check_absences_rejects_bad_date():
    with pytest.raises(CommandError, match="格式不正确"):
        call_command("check_absences", "--date", "2026-13-01", stdout=StringIO())


def test_present_day_ends_episode_and_next_streak_fires_again(world, term, fired):
    days = school_days(MON, 8)
    for day in days[:3]:
        call(world, day, a1="unexcused")
    call(world, days[3])  # back at school
    episode = AbsenceEpisode.objects.get()
    assert not episode.is_open and episode.ended_on == days[3]
    for day in days[4:7]:
        call(world, day, a1="unexcused")
    assert AbsenceEpisode.objects.count() == 2
    assert [e["level"] for e in fired] == ["alert", "alert"]


def test_correcting_an_earlier_day_keeps_the_same_episode(world, term, fired):
    days = school_days(MON, 4)
    for day in days[1:4]:
        call(world, day, today=days[3], a1="unexcused")
    assert len(fired) == 1
    call(world, days[0], today=days[3], a1="unexcused")  # the teacher fills in the first day late
    episode = AbsenceEpisode.objects.get()
    assert (episode.since, episode.days) == (days[0], 4)
    assert len(fired) == 1 and AbsenceAlert.objects.count() == 1


def test_unrecorded_days_beyond_grace_close_the_episode(world, term):
    days = school_days(MON, 8)
    for day in days[:3]:
        call(world, day, a1="unexcused")
    absences.absences_evaluate(as_of=days[6])
    assert not AbsenceEpisode.objects.get().is_open


def test_excused_absences_never_fire(world, term, fired):
    days = school_days(MON, 10)
    absences.absence_record(student=world.a1, start=days[0], end=days[-1], reason="sick", actor=world.head_a,
                            today=days[-1])
    assert not fired and not AbsenceEpisode.objects.exists()


# ------------------------------------------------------------------ per-student entries
def test_absence_record_creates_rows_for_school_days_only(world, term):
    result = absences.absence_record(student=world.a1, start=date(2026, 11, 5), end=date(2026, 11, 10),
                                     reason="personal", note="回老家", actor=world.principal_a, today=date(2026, 11, 10))
    assert result.days == [date(2026, 11, 5), date(2026, 11, 6), date(2026, 11, 9), date(2026, 11, 10)]
    assert Absence.objects.filter(student=world.a1, source="entry", note="回老家").count() == 4


def test_absence_record_overlapping_range_updates_instead_of_duplicating(world, term):
    call(world, MON, a1="sick")
    absences.absence_record(student=world.a1, start=MON, end=MON + timedelta(days=1), reason="unexcused",
                            actor=world.head_a, today=MON + timedelta(days=1))
    assert Absence.objects.filter(student=world.a1).count() == 2
    assert set(Absence.objects.values_list("reason", flat=True)) == {"unexcused"}


def test_absence_record_allows_future_leave_but_not_future_unexcused(world, term):
    absences.absence_record(student=world.a1, start=MON + timedelta(days=7), end=MON + timedelta(days=8),
                            reason="personal", actor=world.head_a, today=MON)
    with pytest.raises(ValidationError) as exc:
        absences.absence_record(student=world.a1, start=MON, end=MON + timedelta(days=7), reason="unexcused",
                                actor=world.head_a, today=MON)
    assert "end" in exc.value.error_dict and "今天及以前" in str(exc.value)


@pytest.mark.parametrize("kwargs,field,message", [
    ({"start": date(2026, 11, 6), "end": date(2026, 11, 2)}, "end", "不能早于开始日期"),
    ({"start": date(2026, 11, 7), "end": date(2026, 11, 8)}, "start", "没有上课日"),
    ({"start": date(2026, 9, 1), "end": date(2027, 1, 20), "reason": "sick"}, "end", "一次最多登记"),
    ({"start": None}, "start", "请填写开始日期"),
    ({"reason": "late"}, "reason", "请选择缺勤原因"),
    ({"note": "长" * 201}, "note", "200 字"),
])
def test_absence_record_bad_input_names_the_field(world, term, kwargs, field, message):
    args = {"start": MON, "end": MON, "reason": "sick", "note": "", **kwargs}
    with pytest.raises(ValidationError) as exc:
        absences.absence_record(student=world.a1, actor=world.head_a, today=date(2027, 1, 22), **args)
    assert field in exc.value.error_dict and message in str(exc.value.error_dict[field])
    assert not Absence.objects.exists()


def test_absence_record_refuses_student_not_enrolled(world, term):
    world.a1.status = Student.Status.TRANSFERRED
    with pytest.raises(ValidationError, match="已转出"):
        absences.absence_record(student=world.a1, start=MON, end=MON, reason="sick", actor=world.head_a, today=MON)


def test_absence_delete_reevaluates_and_keeps_history(world, term):
    days = school_days(MON, 3)
    for day in days:
        call(world, day, a1="unexcused")
    absence = Absence.objects.get(student=world.a1, date=days[1])
    pk = absence.pk
    absences.absence_delete(absence=absence, actor=world.head_a, today=days[2])
    episode = AbsenceEpisode.objects.get(is_open=True)
    assert (episode.days, episode.since) == (1, days[2])
    assert Absence.history.filter(id=pk, history_type="-").get().history_user == world.head_a


def test_very_old_open_episode_is_closed_not_duplicated(world, term):
    old = AbsenceEpisode.objects.create(student=world.a1, since=date(2024, 9, 2), last_absent_on=date(2024, 9, 6),
                                        days=5, level="alert")
    days = school_days(MON, 3)
    for day in days:
        call(world, day, a1="unexcused")
    old.refresh_from_db()
    assert not old.is_open
    assert AbsenceEpisode.objects.filter(is_open=True).get().since == days[0]


def test_only_episodes_over_a_threshold_report_their_end(world, term):
    days = school_days(MON, 8)
    for day in days[:2]:
        call(world, day, a1="unexcused")
    quiet = call(world, days[2])
    assert len(quiet.evaluation.closed) == 1 and quiet.evaluation.lines() == []
    for day in days[3:6]:
        call(world, day, a1="unexcused")
    loud = call(world, days[6])
    assert loud.evaluation.closed_lines() == [f"张保杰：连续缺勤结束（2026年11月{days[6].day}日），共 3 个上课日"]
