"""Enrolment per school year kept in step with Student.school/grade/school_class and status."""
from django.db import transaction

from kongchuo.models import SchoolYear
from students.models import Enrolment, Student

from .base import stamp


@transaction.atomic
def enrolment_sync(*, student, on, change=None, actor=None):
    """Close the open enrolment if the student left it (off roll, or moved class/school) on date `on`, and open
    one for the current placement if the student is on roll without one. Idempotent."""
    current = Enrolment.objects.select_for_update().filter(student=student, end_date__isnull=True).order_by("pk").first()
    on_roll = student.status in Student.ON_ROLL_STATUSES and student.school_id is not None
    same_place = (current is not None and current.school_id == student.school_id
                  and current.school_class_id == student.school_class_id)
    if current is not None and (not on_roll or not same_place):
        current.end_date = max(on, current.start_date)
        current.end_change = change
        stamp(current, actor).save()
        current = None
    if on_roll and current is None:
        year_id = student.grade.school_year_id if student.grade_id else _current_year_id()
        if year_id is None:
            return None
        current = Enrolment(student=student, school_year_id=year_id, school_id=student.school_id,
                            grade_id=student.grade_id, school_class_id=student.school_class_id, start_date=on)
        stamp(current, actor).save()
    return current


def enrolments_open_bulk(students, *, on):
    """For bulk imports: open an enrolment for each on-roll student that has none (two queries + one insert)."""
    students = [s for s in students if s.pk and s.school_id and s.status in Student.ON_ROLL_STATUSES]
    if not students:
        return 0
    have = set(Enrolment.objects.filter(student__in=[s.pk for s in students], end_date__isnull=True)
               .values_list("student_id", flat=True))
    grade_years = {}
    if any(s.grade_id for s in students):
        from kongchuo.models import Grade

        grade_years = dict(Grade.objects.filter(pk__in={s.grade_id for s in students if s.grade_id})
                           .values_list("pk", "school_year_id"))
    fallback = _current_year_id()
    rows = []
    for s in students:
        year_id = grade_years.get(s.grade_id, fallback)
        if s.pk in have or year_id is None:
            continue
        rows.append(Enrolment(student_id=s.pk, school_year_id=year_id, school_id=s.school_id, grade_id=s.grade_id,
                              school_class_id=s.school_class_id, start_date=on))
    from simple_history.utils import bulk_create_with_history

    bulk_create_with_history(rows, Enrolment, batch_size=2000)
    return len(rows)


def _current_year_id():
    return SchoolYear.objects.filter(is_current=True).values_list("pk", flat=True).first()
