"""Discovery speed: the daily absence check (check_absences), a class roll-call save, and the risk of a list page.

Data: STUDENTS students in classes of 50 with a roll-call on each of the last 60 school days and unexcused streaks
of 0–29 days ending on the check day (so every threshold is crossed by many students). Receivers of the threshold
signal (cases opening/escalating cases) are disconnected: their cost is the cases benchmarks'.
"""
import os
import time
from datetime import date

import pytest
from django.db import connection

from kongchuo.models import Grade, School, SchoolClass, SchoolYear, Term
from kongchuo.workdays import WorkCalendar
from students import risk, signals
from students.discovery import absences
from students.models import Absence, AbsenceEpisode, RollCall, Student
from tests import factories as f
from tests.perf.bench_table import is_small, record

STUDENTS = int(os.environ.get("KC_BENCH_DISCOVERY_STUDENTS") or (1_000 if is_small() else 10_000))
CLASS_SIZE = 50
AS_OF = date(2026, 12, 18)


@pytest.fixture
def no_receivers(monkeypatch):
    monkeypatch.setattr(signals.absence_threshold_reached, "receivers", [])
    monkeypatch.setattr(signals.absence_threshold_reached, "sender_receivers_cache", {})


@pytest.fixture
def district(db):
    year = SchoolYear.objects.create(name="2026-2027", start_date=date(2026, 9, 1), end_date=date(2027, 8, 31),
                                     is_current=True)
    Term.objects.create(school_year=year, number=1, start_date=date(2026, 9, 1), end_date=date(2027, 1, 22))
    school = f.SchoolFactory()
    user = f.UserFactory(username="bench_head")
    calendar = WorkCalendar.load()
    days = [d for d in calendar.school_days(date(2026, 9, 1), AS_OF)][-60:]
    classes = []
    for n in range(STUDENTS // CLASS_SIZE):
        level = 1 + n % 6
        grade, _ = Grade.objects.get_or_create(school=school, school_year=year, level=level)
        classes.append(SchoolClass.objects.create(grade=grade, number=1 + n // 6))
    students = [Student(name=f"学生{i}", gender="M", birth_date=date(2016, 1, 1), school=school,
                        grade=classes[i // CLASS_SIZE].grade, school_class=classes[i // CLASS_SIZE])
                for i in range(STUDENTS)]
    Student.objects.bulk_create(students, batch_size=5000)
    students = list(Student.objects.filter(school=school).order_by("pk"))
    RollCall.objects.bulk_create([RollCall(school_class=c, date=d, recorded_by=user) for c in classes for d in days],
                                 batch_size=5000)
    rows = [Absence(student=s, date=d, reason="unexcused", recorded_by=user, school_class_id=s.school_class_id)
            for i, s in enumerate(students) for d in days[len(days) - i % 30:]]
    Absence.objects.bulk_create(rows, batch_size=10000)
    return {"students": students, "classes": classes, "days": days, "user": user, "calendar": calendar,
            "absences": len(rows)}


@pytest.mark.django_db
def test_bench_check_absences(district, no_receivers):
    started = time.perf_counter()
    first = absences.absences_evaluate(as_of=AS_OF)
    first_s = time.perf_counter() - started
    started = time.perf_counter()
    second = absences.absences_evaluate(as_of=AS_OF)
    second_s = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cursor:  # baseline: just reading the rows the check reads
        cursor.execute("SELECT student_id, date, reason FROM students_absence WHERE date <= %s", [AS_OF])
        cursor.fetchall()
        cursor.execute("SELECT school_class_id, date FROM students_rollcall WHERE date <= %s", [AS_OF])
        cursor.fetchall()
    read_s = time.perf_counter() - started
    assert second.alerts == [] and second.updated == 0
    streaking = sum(1 for i in range(STUDENTS) if i % 30)
    assert len(first.opened) == streaking == AbsenceEpisode.objects.count()
    record(f"check_absences first run, {STUDENTS} students, {len(first.alerts)} alerts (s)", first_s,
           budget=STUDENTS / 250, note="every streak new: one episode + its alerts written with history")
    record(f"check_absences steady state, {STUDENTS} students (s)", second_s, budget=STUDENTS / 1000,
           baseline=read_s, baseline_label="read the rows")


@pytest.mark.django_db
def test_bench_rollcall_save_and_list_risk(district, no_receivers):
    school_class, day = district["classes"][0], district["days"][-1]
    roster = list(Student.objects.filter(school_class=school_class))
    marks = {s.pk: ("unexcused" if i % 5 == 0 else "") for i, s in enumerate(roster)}
    started = time.perf_counter()
    absences.rollcall_save(school_class=school_class, day=day, marks=marks, actor=district["user"], today=AS_OF,
                           calendar=district["calendar"])
    save_ms = (time.perf_counter() - started) * 1000
    record(f"roll-call save, class of {len(roster)} (ms)", save_ms, budget=1500)
    page = list(Student.objects.filter(school_class__in=district["classes"][:2]).order_by("pk")[:50])
    started = time.perf_counter()
    list(Student.objects.filter(pk__in=[s.pk for s in page]))
    read_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    assessed = risk.assess_many(page)
    all_ms = (time.perf_counter() - started) * 1000
    per_student = list(risk.SIGNALS)
    risk.SIGNALS[:] = []
    try:
        started = time.perf_counter()
        assert len(risk.assess_many(page)) == 50
        bulk_ms = (time.perf_counter() - started) * 1000
    finally:
        risk.SIGNALS[:] = per_student
    assert len(assessed) == 50
    record("risk of a 50-student page, discovery rules (ms)", bulk_ms, budget=200, baseline=read_ms,
           baseline_label="read the 50 students")
    record(f"risk of a 50-student page, all signals (ms, {len(per_student)} per-student)", all_ms,
           note="per-student signals (register_signal) cost queries per row; register_bulk_signal keeps a page flat")
