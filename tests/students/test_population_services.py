"""学籍比对: population lists matched against the enrolment of all schools; candidates verified by village/教育办."""
import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from kongchuo.models import AccessLog
from students.idnumbers import build as build_id
from students.importing.population import age_on
from students.importing.population_services import (
    importable_villages, population_entry_verify, population_import_from_path, population_list_cancel,
    population_list_commit, population_list_upload,
)
from students.importing.samples import write_population_list
from students.models import FamilyMember, PopulationEntry, PopulationList, Student
from students.signals import population_candidate_confirmed

Entry = PopulationEntry


@pytest.fixture(autouse=True)
def _private_root(settings, tmp_path):
    settings.KONGCHUO_PRIVATE_ROOT = str(tmp_path / "private")


def _child(name="陈小虎", birth=datetime.date(2015, 6, 1), seq=300, male=True, with_id=True, **over):
    row = {"姓名": name, "性别": "男" if male else "女", "出生日期": birth.isoformat(),
           "身份证件号": build_id("411503", birth, seq * 2 + (1 if male else 0)) if with_id else "",
           "村/社区": "胡洼村", "监护人": "陈大", "联系电话": "13812340000", "现住址": "胡洼村9号"}
    row.update(over)
    return row


def _list(tmp_path, rows, name="list.xlsx"):
    return write_population_list(tmp_path / name, rows)


def _upload(path):
    return SimpleUploadedFile(path.name, path.read_bytes())


def _commit(world, tmp_path, rows, actor=None, **kw):
    actor = actor or world.village
    record = population_list_upload(actor=actor, uploaded_file=_upload(_list(tmp_path, rows)), **kw)
    return population_list_commit(actor=actor, record=record)


def test_matching_by_id_then_name_and_birth_across_all_schools(world, tmp_path):
    rows = [
        _child(world.a1.name, world.a1.birth_date, 0, 身份证件号=world.a1.id_number),      # school A, by ID
        _child(world.c1.name, world.c1.birth_date, 0, 身份证件号="", 性别="男"),               # school C, by name+birth
        _child(),                                                                           # nowhere → candidate
    ]
    record, report = _commit(world, tmp_path, rows)
    assert report.committed and report.new == 3
    by_name = {e.name: e for e in Entry.objects.all()}
    assert by_name[world.a1.name].match == Entry.Match.BY_ID and by_name[world.a1.name].status == Entry.Status.ENROLLED
    assert by_name[world.a1.name].matched_school_name == world.school_a.name
    assert by_name[world.c1.name].match == Entry.Match.BY_NAME and by_name[world.c1.name].matched_student == world.c1
    child = by_name["陈小虎"]
    assert child.match == Entry.Match.NONE and child.candidate_kind == Entry.Kind.NOT_ENROLLED
    assert child.status == Entry.Status.PENDING and child.village == world.v1
    assert report.details["matched"] == 2 and report.details["candidates"] == 1
    assert Entry.history.count() == 3


def test_off_roll_record_makes_a_dropout_candidate(world, tmp_path):
    Student.objects.filter(pk=world.a2.pk).update(status=Student.Status.DROPPED_OUT)
    _commit(world, tmp_path, [_child(world.a2.name, world.a2.birth_date, 0, 身份证件号=world.a2.id_number)])
    entry = Entry.objects.get()
    assert entry.match == Entry.Match.OFF_ROLL and entry.candidate_kind == Entry.Kind.DROPOUT
    assert entry.matched_student == world.a2


def test_ambiguous_name_and_birth_stays_a_candidate(world, tmp_path):
    world.a3.name, world.a3.birth_date = world.a2.name, world.a2.birth_date
    world.a3.save()
    _commit(world, tmp_path, [_child(world.a2.name, world.a2.birth_date, with_id=False)])
    entry = Entry.objects.get()
    assert entry.match == Entry.Match.AMBIGUOUS and entry.status == Entry.Status.PENDING


def test_preview_saves_nothing(world, tmp_path):
    record = population_list_upload(actor=world.village, uploaded_file=_upload(_list(tmp_path, [_child()])))
    assert record.status == PopulationList.Status.PREVIEWED and record.new_count == 1 and record.village == world.v1
    assert not Entry.objects.exists()
    population_list_cancel(actor=world.village, record=record)
    record.refresh_from_db()
    assert record.status == PopulationList.Status.CANCELLED and not record.file


def test_children_outside_6_to_15_are_row_errors(world, tmp_path):
    rows = [_child(birth=datetime.date(2021, 6, 1), seq=301), _child("老大", datetime.date(2009, 1, 1), 302), _child()]
    record = population_list_upload(actor=world.village, uploaded_file=_upload(_list(tmp_path, rows)))
    assert record.invalid_count == 2 and all("不在义务教育适龄范围" in e["message"] for e in record.errors)
    assert [e["row"] for e in record.errors] == [4, 5]
    record, report = population_list_commit(actor=world.village, record=record)
    assert not report.committed and not Entry.objects.exists()
    record, report = population_list_commit(actor=world.village, record=record, valid_only=True)
    assert report.committed and Entry.objects.count() == 1


def test_age_counts_on_31_august():
    assert age_on(datetime.date(2020, 8, 31), datetime.date(2026, 8, 31)) == 6
    assert age_on(datetime.date(2020, 9, 1), datetime.date(2026, 8, 31)) == 5


@pytest.mark.parametrize("over,column,message", [
    ({"姓名": ""}, "姓名", "不能为空"),
    ({"身份证件号": "123456"}, "身份证件号", "无效"),
    ({"出生日期": "2015-02-30", "身份证件号": ""}, "出生日期", "没有这一天"),
    ({"性别": "", "身份证件号": ""}, "性别", "不能为空"),
    ({"联系电话": "999"}, "联系电话", "格式不正确"),
    ({"村/社区": "远方村"}, "村/社区", "不在您可以导入"),
    ({"村/社区": "火星村"}, "村/社区", "不在您可以导入"),
])
def test_bad_cells_name_row_and_column(world, tmp_path, over, column, message):
    record = population_list_upload(actor=world.village, uploaded_file=_upload(_list(tmp_path, [_child(**over)])))
    assert record.invalid_count == 1
    assert any(e["column"] == column and message in e["message"] and e["row"] == 4 for e in record.errors), record.errors


def test_village_column_must_match_the_chosen_village(world, tmp_path):
    rows = [_child(**{"村/社区": "刘寨村"})]
    record = population_list_upload(actor=world.subdistrict, uploaded_file=_upload(_list(tmp_path, rows)), village=world.v1)
    assert record.invalid_count == 1 and "与所选的“胡洼村”不一致" in record.errors[0]["message"]


def test_same_child_twice_in_a_list(world, tmp_path):
    record = population_list_upload(actor=world.village, uploaded_file=_upload(_list(tmp_path, [_child(), _child()])))
    assert record.invalid_count == 1 and "第 4 行是同一名儿童" in record.errors[0]["message"]


def test_reimport_updates_entries_and_keeps_verification(world, tmp_path):
    _commit(world, tmp_path, [_child()])
    entry = Entry.objects.get()
    population_entry_verify(actor=world.village, entry=entry, decision=Entry.Status.ELSEWHERE,
                            note="在浙江省杭州市某小学就读，有在校证明")
    record, report = _commit(world, tmp_path, [_child(联系电话="13900001111")])
    assert (report.new, report.updated) == (0, 1)
    entry.refresh_from_db()
    assert entry.guardian_phone == "13900001111" and entry.status == Entry.Status.ELSEWHERE
    assert Entry.objects.count() == 1 and entry.population_list == record


def test_child_found_enrolled_later_becomes_enrolled(world, tmp_path):
    _commit(world, tmp_path, [_child()])
    number = Entry.objects.get().id_number
    Student.objects.create(name="陈小虎", gender="M", birth_date=datetime.date(2015, 6, 1), id_number=number,
                           school=world.school_b, status=Student.Status.ENROLLED)
    _commit(world, tmp_path, [_child()])
    entry = Entry.objects.get()
    assert entry.status == Entry.Status.ENROLLED and entry.candidate_kind == ""


def test_confirm_not_enrolled_creates_student_and_emits_signal(world, tmp_path):
    _commit(world, tmp_path, [_child()])
    entry = Entry.objects.get()
    received = []
    population_candidate_confirmed.connect(lambda sender, **kw: received.append(kw), weak=False,
                                           dispatch_uid="test_population_signal")
    try:
        population_entry_verify(actor=world.office, entry=entry, decision=Entry.Status.NOT_ENROLLED, note="家长未送学")
    finally:
        population_candidate_confirmed.disconnect(dispatch_uid="test_population_signal")
    entry.refresh_from_db()
    student = entry.student
    assert student.status == Student.Status.NOT_ENROLLED and student.school is None and student.village == world.v1
    assert student.id_number == entry.id_number and student.name_pinyin == "chenxiaohu"
    assert FamilyMember.objects.get(student=student).name == "陈大"
    assert received[0]["student"] == student and received[0]["candidate"] == entry and received[0]["actor"] == world.office
    assert entry.verified_by == world.office and entry.status == Entry.Status.NOT_ENROLLED
    assert student.history.get().history_user == world.office


def test_confirm_dropout_of_an_off_roll_record_reuses_it(world, tmp_path):
    Student.objects.filter(pk=world.a2.pk).update(status=Student.Status.DROPPED_OUT)
    _commit(world, tmp_path, [_child(world.a2.name, world.a2.birth_date, 0, 身份证件号=world.a2.id_number)])
    before = Student.objects.count()
    entry = population_entry_verify(actor=world.village, entry=Entry.objects.get(), decision=Entry.Status.DROPPED_OUT)
    assert entry.student == world.a2 and Student.objects.count() == before


def test_elsewhere_needs_a_proof_note(world, tmp_path):
    _commit(world, tmp_path, [_child()])
    with pytest.raises(ValidationError, match="须写明就读学校"):
        population_entry_verify(actor=world.village, entry=Entry.objects.get(), decision=Entry.Status.ELSEWHERE)
    entry = population_entry_verify(actor=world.village, entry=Entry.objects.get(), decision=Entry.Status.ELSEWHERE,
                                    note="在杭州市某小学，有学籍证明")
    assert entry.student is None and entry.status == Entry.Status.ELSEWHERE


def test_verify_twice_or_a_matched_child_is_refused(world, tmp_path):
    _commit(world, tmp_path, [_child(), _child(world.a1.name, world.a1.birth_date, 0, 身份证件号=world.a1.id_number)])
    pending = Entry.objects.get(status=Entry.Status.PENDING)
    population_entry_verify(actor=world.village, entry=pending, decision=Entry.Status.NOT_ENROLLED)
    with pytest.raises(ValidationError, match="不是待核实对象"):
        population_entry_verify(actor=world.village, entry=pending, decision=Entry.Status.DROPPED_OUT)
    with pytest.raises(ValidationError, match="不是待核实对象"):
        population_entry_verify(actor=world.village, entry=Entry.objects.get(status=Entry.Status.ENROLLED),
                                decision=Entry.Status.DROPPED_OUT)


def test_only_covering_roles_may_verify(world, tmp_path):
    _commit(world, tmp_path, [_child()])
    entry = Entry.objects.get()
    for user in (world.principal_a, world.leader, world.teacher_a):
        with pytest.raises(PermissionDenied):
            population_entry_verify(actor=user, entry=entry, decision=Entry.Status.NOT_ENROLLED)


def test_importable_villages_follow_scope(world):
    assert list(importable_villages(world.village)) == [world.v1]
    assert set(importable_villages(world.subdistrict)) == {world.v1, world.v1b}
    assert set(importable_villages(world.office)) == {world.v1, world.v1b, world.v2}
    assert not importable_villages(world.principal_a).exists()
    with pytest.raises(PermissionDenied):
        population_list_upload(actor=world.principal_a, uploaded_file=SimpleUploadedFile("a.xlsx", b"PK\x03\x04"))


def test_subdistrict_list_with_village_column_spans_its_villages(world, tmp_path):
    rows = [_child(), _child("刘小花", seq=310, male=False, **{"村/社区": "刘寨村"})]
    record, report = _commit(world, tmp_path, rows, actor=world.subdistrict)
    assert report.committed and record.village is None and record.subdistrict == world.sub1
    assert {e.village for e in Entry.objects.all()} == {world.v1, world.v1b}


def test_commit_is_access_logged(world, tmp_path):
    record, _ = _commit(world, tmp_path, [_child()])
    log = AccessLog.objects.get(action="import")
    assert log.user == world.village and log.object_type == "students.PopulationList" and log.object_id == str(record.pk)


def test_cli_previews_and_commits(world, tmp_path, capsys):
    path = _list(tmp_path, [_child(), _child("老大", datetime.date(2009, 1, 1), 302)])
    with pytest.raises(CommandError) as exc:
        call_command("import_population", str(path), "--village", world.v1.code)
    assert exc.value.returncode == 1 and not Entry.objects.exists()
    with pytest.raises(CommandError) as exc:
        call_command("import_population", str(path), "--village", world.v1.code, "--commit")
    assert exc.value.returncode == 1 and not Entry.objects.exists()
    call_command("import_population", str(path), "--village", world.v1.code, "--commit", "--valid-only")
    out = capsys.readouterr().out
    assert "新增 1" in out and "待核实 1" in out and Entry.objects.count() == 1
    assert PopulationList.objects.get(status="committed").source == PopulationList.Source.CLI
    assert PopulationList.objects.get(status="rejected").message.startswith("名单中有 1 行错误")


def test_cli_unknown_village_exits_2(world, tmp_path):
    with pytest.raises(CommandError) as exc:
        call_command("import_population", str(_list(tmp_path, [_child()])), "--village", "NOPE")
    assert exc.value.returncode == 2


def test_population_from_path_checks_the_user(world, tmp_path):
    with pytest.raises(PermissionDenied):
        population_import_from_path(path=_list(tmp_path, [_child()]), village=world.v2, actor=world.village)
