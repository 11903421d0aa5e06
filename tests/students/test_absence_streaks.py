"""Streak counting in school days (pure functions, no database)."""
from datetime import date, timedelta

from kongchuo.workdays import WorkCalendar
from students.discovery import streaks

U, SICK = "unexcused", "sick"
# Term 1 2026-09-01 … 2027-01-22 with its winter vacation; term 2 from 2027-02-22; 国庆 holidays on weekdays.
CAL = WorkCalendar(
    holidays={date(2026, 10, d) for d in (1, 2, 5, 6, 7)},
    makeup_days={date(2026, 10, 10)},  # a Saturday that is a school day (调休)
    terms=[(date(2026, 9, 1), date(2027, 1, 22), date(2027, 1, 23), date(2027, 2, 21)),
           (date(2027, 2, 22), date(2027, 7, 2), None, None)],
)


def absent(*days, reason=U):
    return {d: reason for d in days}


def test_streak_weekend_neither_breaks_nor_extends():
    # Thu 5 Nov, Fri 6 Nov, Mon 9 Nov absent; as of Monday evening.
    marks = absent(date(2026, 11, 5), date(2026, 11, 6), date(2026, 11, 9))
    streak = streaks.current_streak(CAL, marks, set(), date(2026, 11, 9), grace=2)
    assert streak.days == 3
    assert streak.since == date(2026, 11, 5) and streak.last == date(2026, 11, 9)


def test_streak_counts_makeup_saturday_and_skips_holidays():
    # 9/29 (Tue), 9/30 (Wed), [10/1–10/7 holiday week], 10/8 (Thu), 10/9 (Fri), 10/10 (Sat 调休)
    marks = absent(date(2026, 9, 29), date(2026, 9, 30), date(2026, 10, 8), date(2026, 10, 9), date(2026, 10, 10))
    streak = streaks.current_streak(CAL, marks, set(), date(2026, 10, 10), grace=0)
    assert streak.days == 5 and streak.since == date(2026, 9, 29)


def test_streak_bridges_winter_vacation():
    marks = absent(date(2027, 1, 21), date(2027, 1, 22), date(2027, 2, 22))
    streak = streaks.current_streak(CAL, marks, set(), date(2027, 2, 22), grace=0)
    assert streak.days == 3 and streak.since == date(2027, 1, 21)


def test_streak_missing_makeup_saturday_breaks_run():
    # 10/10 is a school day (调休): not recorded → the run 10/8–10/9 and 10/12 is broken when grace is used up.
    marks = absent(date(2026, 10, 8), date(2026, 10, 9), date(2026, 10, 12))
    streak = streaks.current_streak(CAL, marks, set(), date(2026, 10, 12), grace=2)
    assert streak.days == 1 and streak.since == date(2026, 10, 12)


def test_streak_ends_at_present_day_of_roll_call():
    marks = absent(date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 5))
    streak = streaks.current_streak(CAL, marks, {date(2026, 11, 4)}, date(2026, 11, 5), grace=2)
    assert streak.days == 1 and streak.since == date(2026, 11, 5)


def test_streak_ends_at_excused_day():
    marks = {**absent(date(2026, 11, 2), date(2026, 11, 3)), date(2026, 11, 4): SICK, date(2026, 11, 5): U}
    assert streaks.current_streak(CAL, marks, set(), date(2026, 11, 5), grace=2).days == 1


def test_streak_survives_unrecorded_days_within_grace():
    marks = absent(date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 4))
    # Thu and Fri not recorded yet (grace 2): the run is still running.
    streak = streaks.current_streak(CAL, marks, set(), date(2026, 11, 6), grace=2)
    assert streak.days == 3 and streak.last == date(2026, 11, 4)


def test_streak_is_over_after_more_unrecorded_days_than_grace():
    marks = absent(date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 4))
    assert not streaks.current_streak(CAL, marks, set(), date(2026, 11, 9), grace=2)


def test_streak_is_over_when_latest_record_is_present():
    marks = absent(date(2026, 11, 2), date(2026, 11, 3))
    assert not streaks.current_streak(CAL, marks, {date(2026, 11, 4)}, date(2026, 11, 4), grace=2)


def test_streak_counts_a_month_of_school_days():
    start = date(2026, 11, 2)
    days = CAL.school_days(start, start + timedelta(days=40))[:23]
    streak = streaks.current_streak(CAL, absent(*days), set(), days[-1], grace=0)
    assert streak.days == 23 and streak.since == start


def test_level_for_days_uses_settings(settings):
    settings.KONGCHUO = {**settings.KONGCHUO, "ABSENCE_ALERT_DAYS": 3, "ABSENCE_SUSPECTED_DAYS": 6,
                         "ABSENCE_DROPOUT_DAYS": 23}
    assert [streaks.level_for_days(n) for n in (2, 3, 5, 6, 22, 23)] == [
        "", "alert", "alert", "suspected", "suspected", "dropout"]


def test_first_break_after_finds_present_day():
    marks = absent(date(2026, 11, 2))
    assert streaks.first_break_after(CAL, marks, {date(2026, 11, 4)}, date(2026, 11, 2),
                                     date(2026, 11, 6)) == date(2026, 11, 4)
