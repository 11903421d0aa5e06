"""The fast write path of the 学籍 import (students/importing/bulk.py + national.py): COPYs held and released chunk by
chunk, lookahead queries, history text reused from the rows' CSV, ids from the sequences, foreign keys checked inside
the transaction. These run only on PostgreSQL (the COPY path); SQLite takes the portable path tested elsewhere."""
import datetime
import sys

import pytest
from django.db import IntegrityError, connection, transaction

from students.idnumbers import build as build_id
from students.importing import bulk, national
from students.importing.national import NationalImport
from students.importing.reader import FileFormatError
from students.importing.samples import write_national
from students.models import Enrolment, FamilyMember, Student, VulnerabilityFlag
from tests import factories as f

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY path: PostgreSQL only")


@pytest.fixture(autouse=True)
def _private_root(settings, tmp_path):
    settings.KONGCHUO_PRIVATE_ROOT = str(tmp_path / "private")


def _id(seq, birth=datetime.date(2016, 5, 6)):
    return build_id("411503", birth, seq * 2 + 1)


def _row(seq, **over):
    row = {"姓名": f"王{'一二三四五六七八九十'[seq % 10]}明", "性别": "男", "出生日期": "2016-05-06", "身份证件类型": "居民身份证",
           "身份证件号": _id(seq), "班级": "三年级(1)班", "现住址": "胡洼村5号", "成员1姓名": "王大山", "成员1关系": "父亲",
           "成员1联系电话": "13912345678", "成员2姓名": "李桂花", "成员2关系": "母亲", "是否留守儿童": "2" if seq % 4 == 0 else "0"}
    row.update(over)
    return row


def _stamp(user=None):
    return bulk.Stamp(user_id=getattr(user, "pk", None), reason="测试导入")


def test_many_chunks_write_every_row_once_with_history(world, tmp_path, monkeypatch):
    """23 rows in chunks of 3 then 5: each chunk is looked up while the previous one is classified and written."""
    monkeypatch.setattr(national, "FIRST_CHUNK", 3)
    monkeypatch.setattr(national, "CHUNK", 5)
    path = write_national(tmp_path / "n.xlsx", [_row(seq) for seq in range(1, 24)])
    report = NationalImport(school=world.school_a, path=path, actor=world.principal_a).run(commit=True)
    assert report.committed and (report.new, report.invalid) == (23, 0)
    students = Student.objects.filter(id_number__in=[_id(s) for s in range(1, 24)])
    assert students.count() == 23
    assert Student.history.filter(id__in=students.values("pk"), history_type="+").count() == 23
    assert FamilyMember.objects.filter(student__in=students).count() == 46
    assert FamilyMember.history.filter(student_id__in=students.values("pk")).count() == 46
    assert Enrolment.objects.filter(student__in=students, end_date__isnull=True).count() == 23
    assert report.details["flags_created"] == 5  # seq 4, 8, 12, 16, 20
    assert report.rows_written == 2 * (23 + 46 + 23 + 5)
    # every student's family points at that student (ids were allocated before the COPYs)
    for student in students:
        assert sorted(student.family_members.values_list("relation", flat=True)) == ["母亲", "父亲"]


def test_a_duplicate_in_a_later_chunk_is_caught_although_the_first_is_not_yet_written(world, tmp_path, monkeypatch):
    """Row 9 repeats row 2's ID; chunk 3 is looked up before or after chunk 1's rows are in the table: either way
    the repeat is an error and the first stays."""
    monkeypatch.setattr(national, "FIRST_CHUNK", 3)
    monkeypatch.setattr(national, "CHUNK", 3)
    rows = [_row(seq) for seq in range(1, 9)] + [_row(2, 姓名="重复生")]
    path = write_national(tmp_path / "n.xlsx", rows)
    report = NationalImport(school=world.school_a, path=path).run(commit=True, valid_only=True)
    assert report.committed and (report.new, report.invalid) == (8, 1)
    assert "与第 5 行的身份证件号相同" in report.errors[0]["message"]  # header on row 3: data row 2 is Excel row 5
    assert Student.objects.filter(id_number=_id(2)).count() == 1


def test_existing_students_in_a_later_chunk_are_updated_not_duplicated(world, tmp_path, monkeypatch):
    monkeypatch.setattr(national, "FIRST_CHUNK", 2)
    monkeypatch.setattr(national, "CHUNK", 2)
    rows = [_row(seq) for seq in range(1, 8)]
    NationalImport(school=world.school_a, path=write_national(tmp_path / "a.xlsx", rows)).run(commit=True)
    rows[5]["联系电话"] = "13800000006"
    rows.append(_row(30))
    report = NationalImport(school=world.school_a, path=write_national(tmp_path / "b.xlsx", rows)).run(commit=True)
    assert (report.new, report.updated, report.unchanged) == (1, 1, 6)
    assert Student.objects.get(id_number=_id(6)).phone == "13800000006"
    assert Student.objects.filter(id_number__in=[_id(s) for s in (*range(1, 8), 30)]).count() == 8


def test_asked_reads_run_ahead_of_held_copies_and_other_queries_see_every_row(world):
    """ask() is queued ahead of the held COPYs (it sees what was there before); any other query of the importing
    thread first starts the held COPYs and waits for them."""
    school = world.school_a
    with transaction.atomic():
        with bulk.background_copy() as worker:
            rows = [{"name": "甲乙", "gender": "M", "birth_date": datetime.date(2016, 1, 1), "school_id": school.pk,
                     "id_number": _id(401), "student_number": "G" + _id(401)}]
            bulk.insert(Student, rows, _stamp())
            assert worker.held  # not started yet

            def count(cursor):
                cursor.execute("SELECT count(*) FROM students_student WHERE id_number = %s", [_id(401)])
                return cursor.fetchone()[0]

            answer = bulk.ask(count)
            bulk.release()
            assert answer.result() == 0  # asked before the release: ran first
            assert bulk.ask(count).result() == 1  # asked after it: the COPY ran first
            bulk.insert(Student, [dict(rows[0], id_number=_id(402), student_number="G" + _id(402))], _stamp())
            assert Student.objects.filter(id_number=_id(402)).exists()  # an ORM query waits for the held COPY
            assert not worker.held
        transaction.set_rollback(True)


def test_history_reuses_the_csv_text_and_falls_back_when_a_value_holds_a_line_break(world):
    student = f.StudentFactory(school_class=world.class_a31)
    stamp = _stamp(world.principal_a)
    rows = [{"student_id": student.pk, "name": "张三", "relation": "父亲", "address": "第一行\n第二行，\"引号\""},
            {"student_id": student.pk, "name": "李四", "relation": "母亲", "address": "普通地址"}]
    with transaction.atomic():
        with bulk.background_copy():
            bulk.insert(FamilyMember, rows, stamp)
    for row in rows:
        member = FamilyMember.objects.get(pk=row["id"])
        record = FamilyMember.history.get(id=row["id"])
        assert member.address == record.address == row["address"]
        assert (record.history_type, record.history_user_id, record.history_change_reason) == (
            "+", world.principal_a.pk, "测试导入")
    clean = [{"student_id": student.pk, "name": "王五", "relation": "祖父", "employer": ""}]
    bulk.insert(FamilyMember, clean, stamp)
    record = FamilyMember.history.get(id=clean[0]["id"])
    assert (record.name, record.employer, record.works_away) == ("王五", "", False)


def test_allocate_many_takes_distinct_ids_from_each_sequence(db):
    ids = bulk.allocate_many({Student: 3, FamilyMember: 5, Enrolment: 0})
    assert len(set(ids[Student])) == 3 and len(set(ids[FamilyMember])) == 5 and ids[Enrolment] == []
    assert bulk.allocate_ids(Student, 2)[0] > max(ids[Student])


def test_the_raw_lookup_gives_the_same_values_as_the_orm(world, tmp_path):
    """The chunk lookup runs as raw SQL on the worker's cursor: its dicts must equal QuerySet.values()."""
    importer = NationalImport(school=world.school_a, path=write_national(tmp_path / "n.xlsx", [_row(1)]))
    importer._prepare()
    chunk = [importer._parse(number, cells) for number, cells in importer.reader.rows()]
    importer.reader.close()
    student = Student.objects.get(pk=world.a1.pk)
    chunk[0].id_key, chunk[0].sn_key = student.id_number, None
    f.FamilyMemberFactory(student=student, name="赵大", relation="父亲", is_guardian=False)
    f.FamilyMemberFactory(student=student, name="钱二", relation="母亲", is_guardian=True)
    VulnerabilityFlag.objects.create(student=student, kind="orphan", start_date=datetime.date(2026, 9, 1),
                                     source=VulnerabilityFlag.Source.SCHOOL)
    found, registered, ids = bulk.ask(importer._lookup_query(chunk, writing=True)).result()
    fields = [field.attname for field in Student._meta.concrete_fields]
    assert found == list(Student.objects.filter(pk=student.pk).values(*fields, "school__name"))
    member_fields = [field.attname for field in FamilyMember._meta.concrete_fields]
    assert registered.members[student.pk] == list(FamilyMember.objects.filter(student=student).values(*member_fields))
    assert [m["name"] for m in registered.members[student.pk]][0] == "钱二"  # guardians first, as Meta.ordering
    assert registered.enrolled == set(Enrolment.objects.filter(student=student, end_date__isnull=True)
                                      .values_list("student_id", flat=True))
    assert registered.flags[student.pk] == set(student.flags.filter(end_date__isnull=True)
                                                .values_list("kind", flat=True))
    assert len(ids[Student]) == 1 and len(ids[FamilyMember]) == 2


def test_a_broken_foreign_key_fails_inside_the_copy_and_nothing_is_kept(world):
    before = FamilyMember.objects.count()
    with pytest.raises(IntegrityError):
        with transaction.atomic():
            bulk.check_constraints_now()
            with bulk.background_copy():
                bulk.insert(FamilyMember, [{"student_id": 987654321, "name": "无主", "relation": "父亲"}], _stamp())
    assert FamilyMember.objects.count() == before


def test_the_switch_interval_is_restored_after_the_import(world):
    before = sys.getswitchinterval()
    with transaction.atomic():
        with bulk.background_copy():
            assert sys.getswitchinterval() == min(before, bulk.IMPORT_SWITCH_INTERVAL)
        transaction.set_rollback(True)
    assert sys.getswitchinterval() == before


def test_an_id_registered_meanwhile_by_someone_else_refuses_the_whole_import_in_chinese(world, tmp_path, monkeypatch):
    """Between a chunk's lookup and its COPY another user registers one of its ID numbers: the database refuses
    the write, nothing of the file is kept, and the message says what to do."""
    classify = NationalImport._classify

    def classify_then_someone_registers(self, chunk, found, registered):
        classify(self, chunk, found, registered)
        if not Student.objects.filter(id_number=_id(3)).exists():
            f.StudentFactory(school_class=world.class_b31, id_number=_id(3), student_number="L9999")

    monkeypatch.setattr(NationalImport, "_classify", classify_then_someone_registers)
    path = write_national(tmp_path / "n.xlsx", [_row(seq) for seq in range(1, 6)])
    before = (Student.objects.count(), FamilyMember.objects.count(), Student.history.count())
    with pytest.raises(FileFormatError, match="本次未保存任何数据"):
        NationalImport(school=world.school_a, path=path).run(commit=True)
    assert (Student.objects.count(), FamilyMember.objects.count(), Student.history.count()) == before
    assert not Student.objects.filter(id_number__in=[_id(seq) for seq in range(1, 6)]).exists()


def test_closing_a_calamine_reader_hands_freed_memory_back(tmp_path, monkeypatch):
    from students.importing import reader as reader_module
    from students.importing.columns import NATIONAL_MAP

    assert reader_module.return_freed_memory() is True  # glibc (Debian): malloc_trim is there
    calls = []
    monkeypatch.setattr(reader_module, "return_freed_memory", lambda: calls.append(1))
    path = write_national(tmp_path / "n.xlsx", [_row(1)])
    sheet = reader_module.SheetReader(path, NATIONAL_MAP, engine="calamine").open()
    assert len(list(sheet.rows())) == 1
    sheet.close()
    sheet.close()  # twice is harmless
    assert calls == [1]
    flat = reader_module.SheetReader(path, NATIONAL_MAP, engine="openpyxl").open()
    flat.close()
    assert calls == [1]  # nothing to hand back after the streaming reader
