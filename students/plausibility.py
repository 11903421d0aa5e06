"""Is a child's age plausible for the grade they are put in? (issue 9: a child born 2024 or 2000 went into
一年级 without a word.)

Grade g expects the age `SCHOOL_ENTRY_AGE + g - 1` (6 in 一年级, 14 in 九年级) on 1 September of the school year,
give or take `GRADE_AGE_TOLERANCE` years (settings.KONGCHUO; defaults 6 and 2): 一年级 accepts 4–8 years without
a word. Outside that range the student form asks for a confirmation with a reason (like the ID/sex mismatch),
and an import lists the row as a warning in the preview.
"""
import datetime

from django.conf import settings

from kongchuo.models.org import GRADE_NAMES


def _setting(name, default):
    return int(getattr(settings, "KONGCHUO", {}).get(name, default))


def age_on(birth_date, on):
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


def expected_ages(level):
    expected = _setting("SCHOOL_ENTRY_AGE", 6) + level - 1
    tolerance = _setting("GRADE_AGE_TOLERANCE", 2)
    return expected - tolerance, expected + tolerance


def reference_date(school_year=None, today=None):
    """1 September of the school year (the current one when not given)."""
    if school_year is not None:
        return datetime.date(school_year.start_date.year, 9, 1)
    today = today or datetime.date.today()
    return datetime.date(today.year if today.month >= 9 else today.year - 1, 9, 1)


def grade_age_warning(birth_date, level, school_year=None):
    """A Chinese sentence when the age on the school year's 1 September is outside the grade's range, else None."""
    if not birth_date or not level:
        return None
    on = reference_date(school_year)
    age = age_on(birth_date, on)
    low, high = expected_ages(level)
    if low <= age <= high:
        return None
    grade = GRADE_NAMES.get(level, f"{level}年级")
    return (f"按出生日期，{on.year}年9月1日时年龄为 {age} 岁，{grade}学生通常为 {low}–{high} 岁"
            f"（出生日期或年级可能填错）")
