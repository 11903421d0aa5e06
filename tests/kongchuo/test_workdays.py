from datetime import date

import pytest

from kongchuo.models import CalendarException
from kongchuo.workdays import WorkCalendar, add_calendar_days, add_school_days
from tests import factories as f


@pytest.fixture
def calendar(db):
    year = f.SchoolYearFactory()
    f.TermFactory(school_year=year, number=1, start_date=date(2026, 9, 1), end_date=date(2027, 1, 22),
                  vacation_name="寒假", vacation_start=date(2027, 1, 23), vacation_end=date(2027, 2, 21))
    f.TermFactory(school_year=year, number=2, start_date=date(2027, 2, 22), end_date=date(2027, 7, 2))
    for d in range(1, 8):
        CalendarException.objects.create(date=date(2026, 10, d), kind="holiday", name="国庆节")
    CalendarException.objects.create(date=date(2026, 10, 10), kind="workday", name="国庆调休")
    return WorkCalendar.load()


def test_school_days_skip_weekends(calendar):
    # Thu 2026-09-03 + 3 school days → Tue 09-08 (Fri, Mon, Tue).
    assert calendar.add_school_days(date(2026, 9, 3), 3) == date(2026, 9, 8)


def test_school_days_skip_holidays_and_count_makeup_saturday(calendar):
    # Wed 09-30 + 1 → Thu 10-08 (10-01..07 holiday), +2 → Fri 10-09, +3 → Sat 10-10 (调休 workday).
    assert calendar.add_school_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert calendar.add_school_days(date(2026, 9, 30), 3) == date(2026, 10, 10)


def test_school_days_skip_winter_vacation(calendar):
    # Fri 2027-01-22 is the last day of term; the next school day is Mon 2027-02-22.
    assert calendar.add_school_days(date(2027, 1, 22), 1) == date(2027, 2, 22)
    assert not calendar.is_school_day(date(2027, 2, 1))
    assert calendar.is_workday(date(2027, 2, 1))


def test_workdays_ignore_vacations(calendar):
    assert calendar.add_workdays(date(2027, 1, 22), 1) == date(2027, 1, 25)


def test_school_days_between_counts_open_closed_interval(calendar):
    assert calendar.school_days_between(date(2026, 9, 4), date(2026, 9, 11)) == 5
    assert calendar.school_days_between(date(2026, 9, 11), date(2026, 9, 4)) == 0


def test_module_helpers_and_calendar_days(calendar):
    assert add_school_days(date(2026, 9, 3), 3) == date(2026, 9, 8)
    assert add_calendar_days(date(2026, 9, 3), 7) == date(2026, 9, 10)


def test_negative_days_rejected(calendar):
    with pytest.raises(ValueError):
        calendar.add_school_days(date(2026, 9, 3), -1)


def test_without_terms_every_workday_is_a_school_day(db):
    cal = WorkCalendar.load()
    assert cal.add_school_days(date(2026, 11, 27), 1) == date(2026, 11, 30)
