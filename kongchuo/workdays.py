"""Working calendar (issue: foundation). One place to count school days, workdays and calendar days.

- workday: Monday–Friday, minus statutory holidays, plus make-up workdays (调休).
- school day: a workday inside a term (学期) and outside its 寒暑假.
If no term is defined at all, every workday counts as a school day (a fresh install still works).
"""
from dataclasses import dataclass
from datetime import date, timedelta

from kongchuo.models import CalendarException, Term

MAX_SPAN_DAYS = 3 * 366  # guard: never loop further than this looking for days


@dataclass
class WorkCalendar:
    holidays: set
    makeup_days: set
    terms: list  # [(start, end, vacation_start, vacation_end)]

    @classmethod
    def load(cls):
        holidays, makeup = set(), set()
        for d, kind in CalendarException.objects.values_list("date", "kind"):
            (holidays if kind == CalendarException.Kind.HOLIDAY else makeup).add(d)
        terms = list(Term.objects.values_list("start_date", "end_date", "vacation_start", "vacation_end"))
        return cls(holidays=holidays, makeup_days=makeup, terms=terms)

    def is_workday(self, d: date) -> bool:
        if d in self.makeup_days:
            return True
        return d.weekday() < 5 and d not in self.holidays

    def in_term(self, d: date) -> bool:
        if not self.terms:
            return True
        for start, end, vac_start, vac_end in self.terms:
            if vac_start and vac_end and vac_start <= d <= vac_end:
                return False
        return any(start <= d <= end for start, end, _, _ in self.terms)

    def is_school_day(self, d: date) -> bool:
        return self.is_workday(d) and self.in_term(d)

    def _add(self, start: date, n: int, test) -> date:
        if n < 0:
            raise ValueError("天数不能为负数")
        d, counted = start, 0
        for _ in range(MAX_SPAN_DAYS):
            if counted >= n:
                return d
            d += timedelta(days=1)
            if test(d):
                counted += 1
        raise ValueError(f"校历中 {start} 之后 {MAX_SPAN_DAYS} 天内找不到 {n} 个有效日期，请检查学期设置。")

    def add_school_days(self, start: date, n: int) -> date:
        """The date `n` school days after `start` (start itself not counted)."""
        return self._add(start, n, self.is_school_day)

    def add_workdays(self, start: date, n: int) -> date:
        return self._add(start, n, self.is_workday)

    def school_days_between(self, start: date, end: date) -> int:
        """School days in (start, end]."""
        if end <= start:
            return 0
        return sum(1 for i in range(1, (end - start).days + 1) if self.is_school_day(start + timedelta(days=i)))

    def school_days(self, start: date, end: date):
        """The school days in [start, end], in order."""
        return [start + timedelta(days=i) for i in range((end - start).days + 1)
                if self.is_school_day(start + timedelta(days=i))]


def add_calendar_days(start: date, n: int) -> date:
    return start + timedelta(days=n)


def add_school_days(start: date, n: int) -> date:
    return WorkCalendar.load().add_school_days(start, n)


def add_workdays(start: date, n: int) -> date:
    return WorkCalendar.load().add_workdays(start, n)


def is_school_day(d: date) -> bool:
    return WorkCalendar.load().is_school_day(d)
