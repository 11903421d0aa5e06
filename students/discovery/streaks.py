"""Consecutive unexcused absence streaks, counted in SCHOOL days of the working calendar.

A school day of a student is one of:
  U  an unexcused absence (无故) is recorded;
  E  an excused absence (病假/事假) is recorded;
  P  the class had a roll-call that day and the student was not marked absent (到);
  ?  nothing is recorded (no roll-call, no entry).
Weekends, holidays and vacations are not school days: they neither extend nor break a streak.

The streak as of a date T: walking back from T over school days, skip at most GRACE unrecorded days
(today before the roll-call, a day the teacher forgot), then count consecutive U days; the first E, P or
unrecorded day ends the count. More unrecorded days than GRACE before any U means there is no running streak.
"""
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings

UNEXCUSED = "unexcused"
LOOKBACK_DAYS = 400  # calendar days a streak may reach back (a month of school days plus a summer vacation)


def thresholds():
    """[(level, days)] in ascending order, from settings.KONGCHUO."""
    cfg = settings.KONGCHUO
    return [("alert", cfg["ABSENCE_ALERT_DAYS"]), ("suspected", cfg["ABSENCE_SUSPECTED_DAYS"]),
            ("dropout", cfg["ABSENCE_DROPOUT_DAYS"])]


def grace_days():
    return settings.KONGCHUO.get("ABSENCE_GRACE_DAYS", 2)


def _school_day(calendar):
    """calendar.is_school_day with a per-calendar memo (the same dates are asked for every student)."""
    memo = calendar.__dict__.setdefault("_kc_school_day_memo", {})

    def test(d):
        value = memo.get(d)
        if value is None:
            value = memo[d] = calendar.is_school_day(d)
        return value

    return test


def level_for_days(days):
    """The highest level reached by a streak of `days`, or "" below the first threshold."""
    reached = ""
    for level, n in thresholds():
        if days >= n:
            reached = level
    return reached


@dataclass(frozen=True)
class Streak:
    days: int = 0
    since: date | None = None   # first unexcused day of the run
    last: date | None = None    # latest unexcused day of the run
    ended_on: date | None = None  # for a broken run: the school day that broke it (present/leave), if known

    def __bool__(self):
        return self.days > 0


def current_streak(calendar, absences, roll_call_dates, as_of, *, grace=None, lookback=LOOKBACK_DAYS):
    """The running streak as of `as_of`.

    absences: {date: reason} for one student; roll_call_dates: set of dates their class had a roll-call.
    """
    grace = grace_days() if grace is None else grace
    is_school_day = _school_day(calendar)
    d = as_of
    skipped = 0
    days, since, last = 0, None, None
    floor = as_of - timedelta(days=lookback)
    while d >= floor:
        if is_school_day(d):
            reason = absences.get(d)
            if reason == UNEXCUSED:
                days += 1
                since = d
                last = last or d
            elif days:
                break  # E, P or an unrecorded day inside the run ends it
            elif reason is not None or d in roll_call_dates:
                return Streak()  # the latest recorded day shows the student present or on leave
            else:
                skipped += 1
                if skipped > grace:
                    return Streak()
        d -= timedelta(days=1)
    return Streak(days=days, since=since, last=last)


def run_ending_at(calendar, absences, last, *, lookback=LOOKBACK_DAYS):
    """(since, days) of the run of consecutive unexcused school days ending on `last`."""
    d, days, since = last, 0, None
    floor = last - timedelta(days=lookback)
    is_school_day = _school_day(calendar)
    while d >= floor:
        if is_school_day(d):
            if absences.get(d) != UNEXCUSED:
                break
            days += 1
            since = d
        d -= timedelta(days=1)
    return since, days


def first_break_after(calendar, absences, roll_call_dates, last, as_of):
    """The first school day after `last` (up to `as_of`) showing the student present or on leave, else None."""
    d = last + timedelta(days=1)
    is_school_day = _school_day(calendar)
    while d <= as_of:
        if is_school_day(d) and (absences.get(d) not in (None, UNEXCUSED) or
                                          (absences.get(d) is None and d in roll_call_dates)):
            return d
        d += timedelta(days=1)
    return None
