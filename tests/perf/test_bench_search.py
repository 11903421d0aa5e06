"""Registry search speed: the one search box (students:list) at 1M students (SCALE=small: 100k) on PostgreSQL.

Data: STUDENTS students in SCHOOLS schools of one area (6 grades × 4 classes each), names drawn from common
surnames (incl. 曾/单/解…) and given-name characters, valid ID numbers and 学籍号, written with COPY.
Two users: an 教育办 officer (scope = the whole area, every student) and a principal (one school).
Each figure is the slowest of the query mix (each query: median of 3 runs of one list page = 25 rows + the capped
count), against a baseline measured in the same run: the same lookups on the bare table without scope, joins or
ordering (what an index can do at best).
"""
import io
import random
import statistics
import time
from datetime import date, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from kongchuo.models import Grade, Role, School, SchoolClass, SchoolYear
from students import pinyin, selectors
from students.idnumbers import build
from students.models import Student
from tests import factories as f
from tests.perf.bench_table import is_small, record

STUDENTS = 100_000 if is_small() else 1_000_000
SCHOOLS = 25 if is_small() else 250
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
            "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤单解仇朴查翟区")
GIVEN = "子涵浩宇欣怡梓萱一诺轩雨桐思远佳俊杰梦琪晨阳雅静博文嘉明哲紫天佑若曦家豪诗志强秀英建华丽娟海燕保德福国庆春秋冬雪梅兰竹菊"


def _build(area):
    rng = random.Random(11643)
    year = SchoolYear.objects.get_or_create(name="2026-2027", defaults={
        "start_date": date(2026, 9, 1), "end_date": date(2027, 8, 31), "is_current": True})[0]
    sub = f.SubDistrictFactory(area=area)
    village = f.VillageFactory(subdistrict=sub)
    schools = School.objects.bulk_create([School(area=area, subdistrict=sub, code=f"B{i:08d}", name=f"测速小学{i}",
                                                 kind=School.Kind.PRIMARY) for i in range(SCHOOLS)])
    grades = Grade.objects.bulk_create([Grade(school=s, school_year=year, level=lv) for s in schools
                                        for lv in range(1, 7)])
    classes = SchoolClass.objects.bulk_create([SchoolClass(grade=g, number=n, name=f"{n}班") for g in grades
                                               for n in range(1, 5)])
    per_class = STUDENTS // len(classes)
    now = timezone.now().isoformat()
    buf = io.StringIO()
    samples = []
    seq = 0
    for c in classes:
        grade = c.grade
        for _ in range(per_class):
            seq += 1
            name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
            birth = date(2020 - grade.level, 1, 1) + timedelta(days=rng.randrange(365))
            id_number = build(f"4{seq // 1000 % 100000:05d}", birth, seq % 1000)
            parts = pinyin.syllables(name)
            gender = "M" if int(id_number[16]) % 2 else "F"
            buf.write("\t".join([name, "", "".join(parts), "".join(p[0] for p in parts), gender, birth.isoformat(),
                                 "汉族", "1", id_number, id_number[-4:], "G" + id_number, "", "", "", str(village.pk),
                                 str(grade.school_id), str(grade.pk), str(c.pk), "enrolled", now, now]) + "\n")
            if seq % (STUDENTS // 20) == 0:
                samples.append((name, "".join(parts), "".join(p[0] for p in parts), id_number))
    buf.seek(0)
    columns = ("name", "former_name", "name_pinyin", "name_initials", "gender", "birth_date", "ethnicity", "id_type",
               "id_number", "id_last4", "student_number", "phone", "hukou_address", "address", "village_id",
               "school_id", "grade_id", "school_class_id", "status", "created", "updated")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.copy_expert(f"COPY students_student ({', '.join(columns)}) FROM STDIN", buf)
        cursor.execute("ANALYZE students_student")
    return schools, samples, time.perf_counter() - started


def _time(fn, runs=3):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _page(user, q):
    def run():
        page = selectors.capped_page(selectors.student_list(user, selectors.StudentFilters(q=q)), 1)
        return page.count
    return run


def _raw(q):
    """Baseline: the same lookups on the bare table (no scope, no joins, no ordering, no prefetch)."""
    where = selectors.search_q(q)

    def run():
        list(Student.objects.filter(where).values_list("pk", flat=True)[:26])
    return run


@pytest.mark.django_db
def test_bench_search(django_db_blocker):
    area = f.AreaFactory()
    schools, samples, copy_s = _build(area)
    office = f.UserFactory(username="bench_office")
    f.RoleAssignmentFactory(user=office, role=Role.OFFICE_STAFF, area=area)
    principal = f.UserFactory(username="bench_principal")
    f.RoleAssignmentFactory(user=principal, role=Role.SCHOOL_ADMIN, school=schools[0])
    name, full, initials, id_number = samples[len(samples) // 2]
    queries = [name, name[:2], full, initials, id_number[-4:], id_number, "G" + id_number, "zhangb", "曾"]
    for user in (office, principal):
        selectors.capped_page(selectors.student_list(user, selectors.StudentFilters(q="warm")), 1)  # warm caches
    results = {}
    for label, user in (("教育办（全区）", office), ("校长（一校）", principal)):
        times = {q: _time(_page(user, q)) for q in queries}
        base = {q: _time(_raw(q)) for q in queries}
        slowest = max(times, key=times.get)
        results[label] = times
        record(f"search {STUDENTS:,} students, {label}, slowest of {len(queries)} queries (ms)", times[slowest],
               budget=150 if user is office else 100, baseline=base[slowest], baseline_label="bare index lookup",
               note=f"slowest query “{slowest}”; all: " + ", ".join(f"{q} {t:.0f}" for q, t in times.items()))
    browse = _time(_page(principal, ""))
    record(f"student list page 1 without search, principal, {STUDENTS:,} students (ms)", browse, budget=100)
    browse = _time(_page(office, ""))
    record(f"student list page 1 without search, 教育办 whole area, {STUDENTS:,} students (ms)", browse, budget=500,
           note="count capped at 1000+ (no COUNT(*) over the scope)")
    record(f"build: COPY {STUDENTS:,} students incl. search indexes (s)", copy_s, budget=None)
    assert Student.objects.count() >= STUDENTS * 0.95
    assert set(selectors.student_list(office, selectors.StudentFilters(q=id_number)).values_list("id_number", flat=True)) == {id_number}
