"""The 学籍 import and the population list clean every text cell with the project's one sanitiser
(kongchuo.text): control, bidi and zero-width characters are removed (a name starting with U+202E printed
"cba字名" in notices), full-width ID digits become ASCII; an age outside the grade's range is a warning."""
import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from students.idnumbers import build as build_id
from students.importing.national import NationalImport
from students.importing.population_services import population_list_commit, population_list_upload
from students.importing.samples import write_national, write_population_list
from students.importing.widgets import IdNumberWidget, PhoneWidget, RelationWidget, TextWidget, cell_text
from students.models import FamilyMember, PopulationEntry, Student
from tests.hostile import strings as hostile

ALL_TEXT = [("name", TextWidget(50, compact=True)), ("address", TextWidget(200)), ("relation", RelationWidget()),
            ("id", IdNumberWidget()), ("phone", PhoneWidget())]


@pytest.fixture(autouse=True)
def _private_root(settings, tmp_path):
    settings.KONGCHUO_PRIVATE_ROOT = str(tmp_path / "private")


@pytest.mark.parametrize("value", hostile.VALUES, ids=hostile.IDS)
@pytest.mark.parametrize("column, widget", ALL_TEXT, ids=[c for c, _ in ALL_TEXT])
def test_every_text_widget_cleans_or_refuses_in_chinese(column, widget, value):
    try:
        cleaned = widget.clean(value)
    except ValueError as exc:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in str(exc)), str(exc)
        return
    assert not hostile.forbidden_in(cleaned or "")


def test_cell_text_strips_controls_and_bidi():
    assert cell_text(hostile.ANSI) == "[31m红"
    assert cell_text("\u202e名字") == "名字"
    assert IdNumberWidget().clean(hostile.FULLWIDTH_ID) == "411503201609010013"


ANSI_MARK = "ANSIMARK"  # written by openpyxl (which refuses C0 controls), then replaced by Excel's own escape


def _with_controls(path):
    """Put ANSI (\x07\x1b[31m红\x01) where ANSI_MARK is, escaped the way Excel stores control characters
    (_xHHHH_, OOXML §22.9.2.19): what a real file exported by another program holds."""
    import shutil
    import zipfile

    escaped = "".join(f"_x{ord(c):04X}_" if ord(c) < 0x20 else c for c in hostile.ANSI)
    source = path.with_suffix(".orig.xlsx")
    shutil.move(path, source)
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename.endswith(".xml"):
                data = data.replace(ANSI_MARK.encode(), escaped.encode())
            zout.writestr(item, data)
    return path


def _id(seq, birth=datetime.date(2016, 5, 6)):
    return build_id("411503", birth, seq * 2 + 1)


def _row(seq, **over):
    row = {"姓名": "王明", "性别": "男", "出生日期": "2016-05-06", "身份证件类型": "居民身份证", "身份证件号": _id(seq),
           "班级": "三年级(1)班", "现住址": "胡洼村5号", "成员1姓名": "王大山", "成员1关系": "父亲",
           "成员1联系电话": "13912345678"}
    row.update(over)
    return row


def test_national_import_strips_bidi_and_controls_from_every_stored_text(world, tmp_path):
    rows = [_row(1, 姓名="\u202e字名"), _row(2, 姓名="\u200b李\ufeff四", 现住址=ANSI_MARK, 成员1姓名="\u2066王\u2069大山"),
            _row(3, 曾用名=hostile.C1, 户口所在地=hostile.BIDI_MIX)]
    path = _with_controls(write_national(tmp_path / "n.xlsx", rows))
    report = NationalImport(school=world.school_a, path=path, actor=world.principal_a).run(commit=True)
    assert report.committed and report.invalid == 0, report.errors
    by_id = {s.id_number: s for s in Student.objects.filter(id_number__in=[_id(1), _id(2), _id(3)])}
    assert by_id[_id(1)].name == "字名"
    assert (by_id[_id(2)].name, by_id[_id(2)].address) == ("李四", "[31m红")
    assert by_id[_id(3)].former_name == "31m赵六" and by_id[_id(3)].hukou_address == "李四"
    assert FamilyMember.objects.get(student=by_id[_id(2)]).name == "王大山"
    for student in by_id.values():
        for field in ("name", "former_name", "address", "hukou_address"):
            assert not hostile.forbidden_in(getattr(student, field))


def test_national_import_warns_about_an_age_that_does_not_fit_the_grade(world, tmp_path):
    rows = [_row(1, 身份证件号=_id(1, datetime.date(2024, 3, 1)), 出生日期="2024-03-01"),
            _row(2, 身份证件号=_id(2, datetime.date(2000, 3, 1)), 出生日期="2000-03-01"),
            _row(3)]
    path = write_national(tmp_path / "n.xlsx", rows)
    report = NationalImport(school=world.school_a, path=path, actor=world.principal_a).run(commit=False)
    ages = [w for w in report.warnings if w["column"] == "出生日期"]
    assert [w["row"] for w in ages] == [report.warnings[0]["row"], report.warnings[0]["row"] + 1]
    assert "2026年9月1日时年龄为 2 岁，三年级学生通常为 6–10 岁" in ages[0]["message"]
    assert "2026年9月1日时年龄为 26 岁，三年级学生通常为 6–10 岁" in ages[1]["message"]
    assert report.invalid == 0  # a warning, like the ID/sex mismatch: imported as written


def test_population_list_strips_bidi_and_controls(world, tmp_path):
    birth = datetime.date(2015, 6, 1)
    rows = [{"姓名": "\u202e陈小虎", "性别": "男", "出生日期": birth.isoformat(), "身份证件号": build_id("411503", birth, 601),
             "村/社区": "\u200b胡洼村", "监护人": ANSI_MARK + "陈大", "联系电话": "13812340000", "现住址": hostile.BIDI_MIX,
             "备注": hostile.C1}]
    path = _with_controls(write_population_list(tmp_path / "p.xlsx", rows))
    record = population_list_upload(actor=world.village, uploaded_file=SimpleUploadedFile(path.name, path.read_bytes()))
    _, report = population_list_commit(actor=world.village, record=record)
    assert report.committed, report.errors
    entry = PopulationEntry.objects.get()
    assert (entry.name, entry.address) == ("陈小虎", "李四")
    assert entry.guardian_name == "[31m红陈大"
    for field in ("name", "guardian_name", "address", "note"):
        assert not hostile.forbidden_in(getattr(entry, field))

