"""The facts a notice prints, read from the case at issue time and frozen into `Notice.content`."""
from django.conf import settings

from notices.texts import LEGAL_BASIS


def cn_date(value, *, with_year=True):
    """2026年9月1日 (GB/T 9704 writes dates with Arabic numerals)."""
    if value is None:
        return ""
    return f"{value.year}年{value.month}月{value.day}日" if with_year else f"{value.month}月{value.day}日"


def cn_dates(values):
    """2026年9月5日、9月12日、2027年1月3日 — the year only when it changes."""
    parts, year = [], None
    for value in values:
        parts.append(cn_date(value, with_year=value.year != year))
        year = value.year
    return "、".join(parts)


def alive_visits(case):
    visits = case.visits.all()
    if any(f.name == "is_deleted" for f in visits.model._meta.get_fields()):
        visits = visits.filter(is_deleted=False)
    return visits


def class_name(student):
    school_class = student.school_class
    if school_class is None:
        return student.grade.get_level_display() if student.grade_id else ""
    return f"{school_class.grade.get_level_display()}{school_class.name}"


def build_content(*, case, guardian, dropout_date, actor, visits):
    student = case.student
    school = case.school
    visit_dates = sorted({v.visit_date for v in visits})
    return {
        "guardian_name": guardian.name,
        "guardian_relation": guardian.relation,
        "student_name": student.name,
        "student_gender": student.get_gender_display(),
        "child_word": "女儿" if student.gender == "F" else "儿子",
        "class_name": class_name(student),
        "school_name": school.name,
        "area_name": school.area.name,
        "address": student.address or (student.village.name if student.village_id else ""),
        "dropout_date": dropout_date.isoformat(),
        "dropout_date_text": cn_date(dropout_date),
        "visits": [{"date": v.visit_date.isoformat(), "mode": v.get_mode_display()}
                   for v in sorted(visits, key=lambda v: (v.visit_date, v.pk))],
        "visit_dates_text": cn_dates(visit_dates),
        "visit_count": len(visits),
        "deadline_days": settings.KONGCHUO["NOTICE_DEADLINE_DAYS"],
        "contact_name": actor.display_name,
        "contact_phone": school.phone or "＿＿＿＿＿＿＿＿",  # a blank to write in
        "legal_basis": LEGAL_BASIS,
    }
