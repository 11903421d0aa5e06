"""National 学籍 import: preview saves nothing, all-or-nothing, valid-only, re-import updates, history, rules."""
import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from types import SimpleNamespace

from kongchuo.models import AccessLog, SchoolClass
from students import pinyin
from students.idnumbers import build as build_id
from students.importing import bulk
from students.importing.national import NationalImport
from students.importing.reader import FileFormatError
from students.importing.samples import NationalExport, write_national
from students.importing.services import (
    import_batch_cancel, import_batch_commit, import_batch_upload, import_from_path,
)
from students.models import Enrolment, FamilyMember, ImportBatch, Student, VulnerabilityFlag
from tests import factories as f


@pytest.fixture(autouse=True)
def _private_root(settings, tmp_path):
    settings.KONGCHUO_PRIVATE_ROOT = str(tmp_path / "private")


def _id(birth=datetime.date(2017, 3, 4), seq=100, male=True):
    return build_id("411503", birth, seq * 2 + (1 if male else 0))


def _row(**over):
    number = over.pop("id", None) or _id()
    row = {"学校标识码": None, "姓名": "王小明", "性别": "男", "出生日期": "2017-03-04", "民族": "汉族",
           "身份证件类型": "居民身份证", "身份证件号": number, "班级": "三年级(1)班", "现住址": "胡洼村5号",
           "联系电话": "13812345678", "户口所在地": "河南省信阳市", "是否留守儿童": "0", "是否孤儿": "否", "残疾类型": "无",
           "成员1姓名": "王大山", "成员1关系": "父亲", "成员1联系电话": "13912345678", "成员1是否监护人": "是",
           "成员1身份证件类型": "居民身份证", "成员1身份证件号": build_id("411503", datetime.date(1985, 1, 2), 11),
           "成员2姓名": "李桂花", "成员2关系": "母亲", "成员2联系电话": "13712345678", "成员2是否监护人": "1",
           "成员2身份证件号": build_id("411503", datetime.date(1987, 6, 7), 22)}
    row.update(over)
    return row


def _file(tmp_path, rows, name="export.xlsx", **kwargs):
    return write_national(tmp_path / name, rows, **kwargs)


def _run(world, path, **kwargs):
    return NationalImport(school=world.school_a, path=path, actor=kwargs.pop("actor", None)).run(**kwargs)


def test_preview_counts_and_saves_nothing(world, tmp_path):
    before = (Student.objects.count(), FamilyMember.objects.count(), Student.history.count())
    path = _file(tmp_path, [_row(), _row(id=_id(seq=101), 姓名="赵丽", 性别="女")])
    report = _run(world, path)
    assert (report.new, report.updated, report.unchanged, report.invalid) == (2, 0, 0, 0)
    assert report.header_row == 3
    assert (Student.objects.count(), FamilyMember.objects.count(), Student.history.count()) == before
    assert not report.committed


def test_commit_creates_students_family_history_enrolment_and_flags(world, tmp_path):
    path = _file(tmp_path, [_row(是否留守儿童="2", 残疾类型="肢体", 是否进城务工人员随迁子女="是")])
    report = _run(world, path, commit=True, actor=world.principal_a)
    assert report.committed and report.new == 1
    student = Student.objects.get(id_number=_id())
    assert (student.school, student.school_class, student.grade) == (world.school_a, world.class_a31, world.grade_a3)
    assert student.student_number == "G" + _id() and student.status == Student.Status.ENROLLED
    assert student.village == world.v1  # 胡洼村 found in 现住址
    assert (student.name_pinyin, student.name_initials, student.id_last4) == ("wangxiaoming", "wxm", _id()[-4:])
    members = list(student.family_members.order_by("relation"))
    assert [(m.name, m.relation, m.is_guardian) for m in members] == [("李桂花", "母亲", True), ("王大山", "父亲", True)]
    history = student.history.get()
    assert history.history_type == "+" and history.history_user == world.principal_a
    assert FamilyMember.history.filter(student_id=student.pk).count() == 2
    assert Enrolment.objects.get(student=student).school_class == world.class_a31
    kinds = set(VulnerabilityFlag.objects.filter(student=student).values_list("kind", flat=True))
    assert kinds == {"left_behind_both", "disabled", "migrant"}
    flag = VulnerabilityFlag.objects.get(student=student, kind="disabled")
    assert flag.disability_type == "physical" and flag.source == "import" and flag.set_by == world.principal_a


def test_search_columns_agree_with_registry_fill(world, tmp_path):
    names = ["曾小红", "单田芳", "欧阳娜娜", "乐乐乐", "区子涵"]
    rows = [_row(id=_id(seq=200 + i), 姓名=name) for i, name in enumerate(names)]
    _run(world, _file(tmp_path, rows), commit=True)
    for student in Student.objects.filter(name__in=names):
        expected = pinyin.fill(SimpleNamespace(name=student.name, id_number=student.id_number))
        assert (student.name_pinyin, student.name_initials, student.id_last4) == (
            expected.name_pinyin, expected.name_initials, expected.id_last4)


def test_reimport_same_file_is_unchanged_and_never_duplicates(world, tmp_path):
    path = _file(tmp_path, [_row(), _row(id=_id(seq=101), 姓名="赵丽", 性别="女")])
    _run(world, path, commit=True)
    counts = (Student.objects.count(), FamilyMember.objects.count(), Student.history.count())
    report = _run(world, path, commit=True)
    assert (report.new, report.updated, report.unchanged) == (0, 0, 2)
    assert (Student.objects.count(), FamilyMember.objects.count(), Student.history.count()) == counts


def test_reimport_updates_by_id_number_with_history_and_moves_enrolment(world, tmp_path):
    _run(world, _file(tmp_path, [_row()]), commit=True)
    student = Student.objects.get(id_number=_id())
    report = _run(world, _file(tmp_path, [_row(班级="三年级(2)班", 联系电话="13800000000", 成员1联系电话="13900000000")],
                                name="b.xlsx"), commit=True, actor=world.principal_a)
    assert (report.new, report.updated) == (0, 1)
    student.refresh_from_db()
    assert student.school_class == world.class_a32 and student.phone == "13800000000"
    assert student.history.filter(history_type="~").count() >= 1
    assert student.family_members.get(relation="父亲").phone == "13900000000"
    assert FamilyMember.objects.filter(student=student).count() == 2
    assert Enrolment.objects.get(student=student, end_date__isnull=True).school_class == world.class_a32


def test_reimport_matches_by_student_number_when_id_missing(world, tmp_path):
    _run(world, _file(tmp_path, [_row()]), commit=True)
    row = _row(身份证件号=None, 学籍号="G" + _id(), 联系电话="13811112222")
    columns = list(row.keys())
    report = _run(world, _file(tmp_path, [row], name="b.xlsx", columns=columns), commit=True)
    assert report.updated == 1 and Student.objects.filter(student_number="G" + _id()).count() == 1


def test_blank_cells_never_erase_recorded_values(world, tmp_path):
    _run(world, _file(tmp_path, [_row()]), commit=True)
    report = _run(world, _file(tmp_path, [_row(联系电话=None, 户口所在地=None)], name="b.xlsx"), commit=True)
    assert report.unchanged == 1
    assert Student.objects.get(id_number=_id()).phone == "13812345678"


def test_all_or_nothing_saves_nothing_when_one_row_is_invalid(world, tmp_path):
    before = Student.objects.count()
    rows = [_row(), _row(id=_id(seq=101), 姓名="赵丽", 性别="女", 出生日期="2017-13-01")]
    report = _run(world, _file(tmp_path, rows), commit=True)
    assert not report.committed and report.invalid == 1 and report.new == 1
    assert Student.objects.count() == before
    assert report.errors == [{"row": 5, "column": "出生日期", "value": "2017-13-01", "message": "“2017-13-01”不是有效日期（没有这一天）"}]


def test_valid_only_saves_the_valid_rows(world, tmp_path):
    rows = [_row(), _row(id=_id(seq=101), 姓名="", 性别="女")]
    report = _run(world, _file(tmp_path, rows), commit=True, valid_only=True)
    assert report.committed and (report.new, report.invalid) == (1, 1)
    assert Student.objects.filter(id_number=_id()).exists()
    assert not Student.objects.filter(id_number=_id(seq=101)).exists()
    assert report.errors[0]["column"] == "姓名" and report.errors[0]["message"] == "不能为空"


def test_every_bad_cell_is_reported_with_row_and_column(world, tmp_path):
    bad = _row(性别="未知", 出生日期="二〇一七年", 身份证件号=_id()[:-1] + ("0" if _id()[-1] != "0" else "1"),
               班级="火箭班", 联系电话="123", 民族="火星族", 成员1关系=None, 成员2身份证件号="12345",
               是否留守儿童="3")
    report = _run(world, _file(tmp_path, [bad]))
    columns = {e["column"] for e in report.errors}
    assert {"性别", "出生日期", "班级", "联系电话", "民族", "成员1关系", "成员2身份证件号", "是否留守儿童"} <= columns
    assert all(e["row"] == 4 for e in report.errors)
    assert report.invalid == 1


def test_invalid_check_digit_is_explained(world, tmp_path):
    number = _id()
    wrong = number[:-1] + ("1" if number[-1] != "1" else "2")
    report = _run(world, _file(tmp_path, [_row(身份证件号=wrong)]))
    assert report.errors[0]["column"] == "身份证件号" and "校验码错误" in report.errors[0]["message"]


def test_lowercase_x_and_full_width_ids_are_accepted(world, tmp_path):
    number = next(build_id("411503", datetime.date(2017, 3, d), s) for d in range(1, 28) for s in range(1, 999, 2)
                  if build_id("411503", datetime.date(2017, 3, d), s).endswith("X"))
    full = _id(seq=300).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    report = _run(world, _file(tmp_path, [_row(身份证件号=number.lower(), 出生日期=number[6:14]),
                                          _row(身份证件号=full, 出生日期="2017-03-04", 姓名="赵丽")]), commit=True)
    assert report.new == 2, report.errors
    assert Student.objects.filter(id_number__in=[number, _id(seq=300)]).count() == 2


def test_sex_and_birth_date_disagreeing_with_id_warn_and_keep_file_values(world, tmp_path):
    report = _run(world, _file(tmp_path, [_row(性别="女", 出生日期="2017-03-05")]), commit=True)
    assert report.new == 1 and report.invalid == 0
    messages = " ".join(w["message"] for w in report.warnings)
    assert "身份证号显示性别为男" in messages and "身份证号显示出生日期为 2017-03-04" in messages
    student = Student.objects.get(id_number=_id())
    assert student.gender == "F" and student.birth_date == datetime.date(2017, 3, 5)


def test_duplicate_id_inside_the_file_names_the_first_row(world, tmp_path):
    report = _run(world, _file(tmp_path, [_row(), _row(姓名="王小明二")]))
    assert report.invalid == 1
    assert report.errors[0]["row"] == 5 and "与第 4 行的身份证件号相同" in report.errors[0]["message"]


def test_student_of_another_school_is_not_moved_by_an_import(world, tmp_path):
    report = _run(world, _file(tmp_path, [_row(id=world.b1.id_number, 出生日期=world.b1.birth_date.isoformat(),
                                               性别="女")]), commit=True, valid_only=True)
    assert report.invalid == 1 and "另一所学校" in report.errors[0]["message"]
    world.b1.refresh_from_db()
    assert world.b1.school == world.school_b


def test_school_code_must_match_the_chosen_school(world, tmp_path):
    report = _run(world, _file(tmp_path, [_row(学校标识码="9999999999")]))
    assert report.errors[0]["column"] == "学校标识码" and world.school_a.name in report.errors[0]["message"]


def test_unknown_class_is_listed_in_preview_and_created_on_commit(world, tmp_path):
    path = _file(tmp_path, [_row(班级="五年级(3)班")])
    preview = _run(world, path)
    assert preview.details["classes_to_create"] == ["五年级(3)班"]
    assert not SchoolClass.objects.filter(grade__school=world.school_a, grade__level=5).exists()
    report = _run(world, path, commit=True)
    assert report.details["classes_created"] == 1
    created = SchoolClass.objects.get(grade__school=world.school_a, grade__level=5, number=3)
    assert created.grade.school_year == world.year
    assert Student.objects.get(id_number=_id()).school_class == created


def test_grade_outside_the_school_is_an_error(world, tmp_path):
    report = _run(world, _file(tmp_path, [_row(班级="八年级(1)班")]))
    assert "没有八年级" in report.errors[0]["message"]


def test_off_roll_student_keeps_status_with_a_warning(world, tmp_path):
    _run(world, _file(tmp_path, [_row()]), commit=True)
    Student.objects.filter(id_number=_id()).update(status=Student.Status.DROPPED_OUT)
    report = _run(world, _file(tmp_path, [_row(联系电话="13800000001")], name="b.xlsx"), commit=True)
    assert report.updated == 1 and any("辍学" in w["message"] for w in report.warnings)
    assert Student.objects.get(id_number=_id()).status == Student.Status.DROPPED_OUT


def test_existing_flags_are_not_duplicated_and_never_ended(world, tmp_path):
    _run(world, _file(tmp_path, [_row(是否留守儿童="1")]), commit=True)
    report = _run(world, _file(tmp_path, [_row(是否留守儿童="2")], name="b.xlsx"), commit=True)
    assert report.unchanged == 1 and any("另一种留守标记" in w["message"] for w in report.warnings)
    student = Student.objects.get(id_number=_id())
    assert list(student.flags.values_list("kind", flat=True)) == ["left_behind_one"]
    _run(world, _file(tmp_path, [_row(是否留守儿童="0")], name="c.xlsx"), commit=True)
    assert student.flags.get().end_date is None


def test_students_missing_from_the_file_are_counted_not_removed(world, tmp_path):
    report = _run(world, _file(tmp_path, [_row()]), commit=True)
    assert report.details["missing_from_file"] == 4  # a1..a4 of the world
    assert Student.objects.filter(school=world.school_a, status=Student.Status.ENROLLED).count() == 5


def test_portable_path_writes_the_same_rows_and_history(world, tmp_path, monkeypatch):
    monkeypatch.setattr(bulk, "FORCE_ORM", True)
    _run(world, _file(tmp_path, [_row()]), commit=True, actor=world.principal_a)
    student = Student.objects.get(id_number=_id())
    assert student.history.get().history_user == world.principal_a
    assert student.family_members.count() == 2 and FamilyMember.history.filter(student_id=student.pk).count() == 2
    assert student.name_pinyin == "wangxiaoming"
    report = _run(world, _file(tmp_path, [_row(联系电话="13800000002")], name="b.xlsx"), commit=True)
    assert report.updated == 1 and student.history.filter(history_type="~").count() == 1


def test_realistic_generated_export_imports_cleanly(world, tmp_path):
    export = NationalExport(school_code=world.school_a.code, classes=[(3, 1), (3, 2), (4, 1)],
                            villages=["胡洼村", "刘寨村"], first_sequence=400)
    path = export.write(tmp_path / "n.xlsx", 60)
    report = _run(world, path, commit=True)
    assert report.invalid == 0, report.errors[:3]
    assert report.new == 60 and report.unknown_columns == ["备注（学校自填）"]
    assert report.details["family_created"] == 120
    assert _run(world, path).unchanged == 60


def test_openpyxl_engine_gives_the_same_result(world, tmp_path, settings):
    export = NationalExport(school_code=world.school_a.code, classes=[(3, 1)], first_sequence=450)
    path = export.write(tmp_path / "n.xlsx", 20)
    settings.KONGCHUO_XLSX_ENGINE = "openpyxl"
    report = _run(world, path)
    assert report.engine == "openpyxl" and report.new == 20 and report.invalid == 0


def test_auto_engine_takes_the_flat_reader_when_the_sheet_would_exceed_the_memory_cap(world, tmp_path, settings):
    from students.importing.reader import calamine_memory_mb

    export = NationalExport(school_code=world.school_a.code, classes=[(3, 1)], first_sequence=470)
    path = export.write(tmp_path / "n.xlsx", 30)
    estimate = calamine_memory_mb(path, "xlsx")
    assert 0 < estimate < 1  # 30 rows: a few hundred KB of sheet XML
    settings.KONGCHUO_XLSX_ENGINE = "auto"
    settings.KONGCHUO_IMPORT_MEMORY_MB = 512
    assert _run(world, path).engine == "calamine"
    settings.KONGCHUO_IMPORT_MEMORY_MB = estimate / 2
    report = _run(world, path)
    assert report.engine == "openpyxl" and report.new == 30 and report.invalid == 0
    settings.KONGCHUO_XLSX_ENGINE = "calamine"  # an explicit choice is not second-guessed
    assert _run(world, path).engine == "calamine"


def test_missing_current_school_year_is_a_file_error(world, tmp_path):
    type(world.year).objects.update(is_current=False)
    with pytest.raises(FileFormatError, match="当前学年"):
        _run(world, _file(tmp_path, [_row()]))


def test_file_without_id_columns_is_refused(world, tmp_path):
    with pytest.raises(FileFormatError, match="身份证件号"):
        _run(world, _file(tmp_path, [_row()], columns=["姓名", "性别", "出生日期", "班级"]))


# ------------------------------------------------------------------ services (upload / commit / cancel)
def _upload(path, name="export.xlsx"):
    return SimpleUploadedFile(name, path.read_bytes(),
                              content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def test_upload_previews_and_keeps_file_privately_until_commit(world, tmp_path, settings):
    batch = import_batch_upload(actor=world.principal_a, school=world.school_a,
                                uploaded_file=_upload(_file(tmp_path, [_row()])))
    assert batch.status == ImportBatch.Status.PREVIEWED and batch.new_count == 1 and batch.file
    stored = batch.file.path
    assert stored.startswith(settings.KONGCHUO_PRIVATE_ROOT)
    assert not Student.objects.filter(id_number=_id()).exists()
    batch, report = import_batch_commit(actor=world.principal_a, batch=batch)
    assert batch.status == ImportBatch.Status.COMMITTED and batch.committed_by == world.principal_a
    assert not batch.file and not __import__("os").path.exists(stored)
    assert Student.objects.filter(id_number=_id()).exists()
    log = AccessLog.objects.get(action=AccessLog.Action.IMPORT)
    assert log.user == world.principal_a and log.object_id == str(batch.pk) and "新增 1" in log.detail


def test_commit_twice_is_refused(world, tmp_path):
    batch = import_batch_upload(actor=world.principal_a, school=world.school_a,
                                uploaded_file=_upload(_file(tmp_path, [_row()])))
    import_batch_commit(actor=world.principal_a, batch=batch)
    with pytest.raises(ValidationError, match="已处理"):
        import_batch_commit(actor=world.principal_a, batch=batch)


def test_failed_all_or_nothing_commit_keeps_batch_open_for_valid_only(world, tmp_path):
    rows = [_row(), _row(id=_id(seq=101), 姓名="赵丽", 性别="女", 联系电话="123")]
    batch = import_batch_upload(actor=world.principal_a, school=world.school_a, uploaded_file=_upload(_file(tmp_path, rows)))
    batch, report = import_batch_commit(actor=world.principal_a, batch=batch)
    assert not report.committed and batch.status == ImportBatch.Status.PREVIEWED and "未导入任何数据" in batch.message
    assert not Student.objects.filter(id_number=_id()).exists()
    batch, report = import_batch_commit(actor=world.principal_a, batch=batch, valid_only=True)
    assert batch.status == ImportBatch.Status.COMMITTED and batch.mode == ImportBatch.Mode.VALID_ONLY
    assert Student.objects.filter(id_number=_id()).exists()


def test_cancel_deletes_the_file_and_imports_nothing(world, tmp_path):
    batch = import_batch_upload(actor=world.principal_a, school=world.school_a,
                                uploaded_file=_upload(_file(tmp_path, [_row()])))
    stored = batch.file.path
    batch = import_batch_cancel(actor=world.principal_a, batch=batch)
    assert batch.status == ImportBatch.Status.CANCELLED and not __import__("os").path.exists(stored)


def test_upload_of_unreadable_excel_is_recorded_as_failed(world, tmp_path):
    path = tmp_path / "x.xlsx"
    write_national(path, [], columns=["随便"])
    batch = import_batch_upload(actor=world.principal_a, school=world.school_a, uploaded_file=_upload(path))
    assert batch.status == ImportBatch.Status.FAILED and "未找到表头行" in batch.message and not batch.file


@pytest.mark.parametrize("name,content,message", [
    ("a.csv", b"name,sex", "只能上传 Excel 文件"),
    ("a.xlsx", b"not really excel", "不是 Excel 表格"),
    ("a.xlsx", b"", "空的"),
])
def test_bad_uploads_are_refused_with_a_reason(world, name, content, message):
    with pytest.raises(ValidationError, match=message):
        import_batch_upload(actor=world.principal_a, school=world.school_a,
                            uploaded_file=SimpleUploadedFile(name, content))
    assert not ImportBatch.objects.exists()


def test_upload_over_20_mb_is_refused(world, settings):
    big = SimpleUploadedFile("big.xlsx", b"PK\x03\x04" + b"0" * (20 * 1024 * 1024))
    with pytest.raises(ValidationError, match="文件过大"):
        import_batch_upload(actor=world.principal_a, school=world.school_a, uploaded_file=big)


def test_only_the_school_admin_of_that_school_may_import(world, tmp_path):
    upload = _upload(_file(tmp_path, [_row()]))
    for user in (world.principal_b, world.head_a, world.office):
        with pytest.raises(PermissionDenied):
            import_batch_upload(actor=user, school=world.school_a, uploaded_file=upload)


def test_cli_path_records_a_batch_only_when_committing(world, tmp_path):
    path = _file(tmp_path, [_row()])
    batch, report = import_from_path(path=path, school=world.school_a)
    assert batch is None and report.new == 1 and not ImportBatch.objects.exists()
    batch, report = import_from_path(path=path, school=world.school_a, commit=True)
    assert batch.source == ImportBatch.Source.CLI and batch.status == ImportBatch.Status.COMMITTED
    assert AccessLog.objects.get(action="import").username == "命令行"
