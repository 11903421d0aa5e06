"""Roster export speed: the combined 控辍保学工作台账 of ROWS students (all 辍学 as of the month end, one guardian each,
one 重点关注 flag each) for the whole area, against a raw streaming dump of the same students with the same writer
(openpyxl write-only, same escape, the same row generator: same query and prefetches, plain values), measured
in the same run.
Peak Python memory of the export (tracemalloc) is measured in a separate run (tracemalloc slows the code).
"""
import io
import os
import time
import tracemalloc
from datetime import date, datetime, timezone as dt_tz

import pytest
from openpyxl import Workbook

from kongchuo.models import Grade, Role, SchoolClass, SchoolYear, Term
from kongchuo.xlsx import escape
from reports import rosters
from students.models import FamilyMember, StatusChange, Student, VulnerabilityFlag
from tests import factories as f
from tests.perf.bench_table import is_small, record

ROWS = int(os.environ.get("KC_BENCH_ROSTER_ROWS") or (2_000 if is_small() else 100_000))
SCHOOLS = 20


@pytest.fixture
def district(db, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a: date(2026, 12, 1))
    area = f.AreaFactory(name="上天梯管理区")
    sub = f.SubDistrictFactory(area=area)
    village = f.VillageFactory(subdistrict=sub)
    year = SchoolYear.objects.create(name="2026-2027", start_date=date(2026, 9, 1), end_date=date(2027, 8, 31),
                                     is_current=True)
    Term.objects.create(school_year=year, number=1, start_date=date(2026, 9, 1), end_date=date(2027, 1, 22))
    classes = []
    for s in range(SCHOOLS):
        school = f.SchoolFactory(subdistrict=sub, area=area)
        for level in range(1, 7):
            grade = Grade.objects.create(school=school, school_year=year, level=level)
            classes.append(SchoolClass.objects.create(grade=grade, number=1))
    per = max(ROWS // len(classes), 1)
    students = [Student(name=f"学生{i}", name_pinyin=f"xuesheng{i}", gender="M", birth_date=date(2016, 1, 1),
                        id_number=f"4115032016{i:08d}", student_number=f"G{i:018d}", phone="13812345678",
                        school=classes[min(i // per, len(classes) - 1)].grade.school,
                        grade=classes[min(i // per, len(classes) - 1)].grade,
                        school_class=classes[min(i // per, len(classes) - 1)], village=village,
                        status=Student.Status.DROPPED_OUT)
                for i in range(ROWS)]
    Student.objects.bulk_create(students, batch_size=5000)
    ids = list(Student.objects.order_by("pk").values_list("pk", flat=True))
    actor = f.UserFactory(username="bench_office")
    f.RoleAssignmentFactory(user=actor, role=Role.OFFICE_STAFF, area=area)
    StatusChange.objects.bulk_create([StatusChange(student_id=pk, kind="drop_out", date=date(2026, 10, 1),
                                                   reason="厌学", status_before="enrolled",
                                                   status_after="dropped_out") for pk in ids], batch_size=5000)
    FamilyMember.objects.bulk_create([FamilyMember(student_id=pk, name="家长", relation="父亲", phone="13900001111",
                                                   is_guardian=True) for pk in ids], batch_size=5000)
    VulnerabilityFlag.objects.bulk_create([VulnerabilityFlag(student_id=pk, kind="poverty", start_date=date(2026, 1, 1),
                                                             source="import") for pk in ids], batch_size=5000)
    return actor


def raw_dump(req):
    """The baseline: the same rows from the same generator (same query, same prefetches), written by the same writer
    as plain values — no title, header, styles, merges, summary or per-school sheets."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("raw")
    n = 0
    for _, values in rosters.rows_for(req):
        ws.append([escape(v) for v in values])
        n += 1
    buf = io.BytesIO()
    wb.save(buf)
    return n


@pytest.mark.django_db
def test_bench_roster_ledger(district):
    req = rosters.Request(user=district, kind=rosters.KINDS["ledger"], year=2026, month=11)
    started = time.perf_counter()
    n_raw = raw_dump(req)
    raw_s = time.perf_counter() - started
    started = time.perf_counter()
    content, total, _ = rosters.build_workbook(req)
    ledger_s = time.perf_counter() - started
    assert total == n_raw == ROWS
    tracemalloc.start()
    rosters.build_workbook(req)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    record(f"控辍保学工作台账, {ROWS} rows, area-wide (s)", ledger_s, budget=None if is_small() else 15.0,
           baseline=raw_s, baseline_label="raw streaming dump, same writer",
           note=f"file {len(content) / 1e6:.1f} MB; {SCHOOLS} school sheets + 汇总")
    record(f"控辍保学工作台账, {ROWS} rows: ratio to raw dump", ledger_s / raw_s,
           budget=None if is_small() else 1.5)
    record(f"控辍保学工作台账, {ROWS} rows: peak Python memory (MB, tracemalloc)", peak / 1e6,
           budget=None if is_small() else 150.0)
