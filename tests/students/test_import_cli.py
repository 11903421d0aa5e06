"""python manage.py import_students: preview exit codes, --commit all-or-nothing, --commit --valid-only, counts."""
import datetime
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from students.idnumbers import build as build_id
from students.importing.samples import write_national
from students.models import ImportBatch, Student


def _row(seq, **over):
    row = {"姓名": f"王{seq}", "性别": "男", "出生日期": "2017-03-04",
           "身份证件号": build_id("411503", datetime.date(2017, 3, 4), seq * 2 + 1), "班级": "三年级(1)班",
           "成员1姓名": "王父", "成员1关系": "父亲"}
    row.update(over)
    return row


@pytest.fixture
def good(tmp_path):
    return write_national(tmp_path / "good.xlsx", [_row(100), _row(101)])


@pytest.fixture
def mixed(tmp_path):
    return write_national(tmp_path / "mixed.xlsx", [_row(100), _row(101, 性别="未知")])


def test_preview_valid_file_exits_0_and_saves_nothing(world, good, capsys):
    call_command("import_students", str(good), "--school", world.school_a.code)
    out = capsys.readouterr().out
    assert "新增 2  更新 0  无变化 0  有错误 0" in out and "预览：全部有效" in out
    assert not Student.objects.filter(name__startswith="王1").exists() and not ImportBatch.objects.exists()


def test_preview_with_invalid_rows_exits_1_and_lists_them(world, mixed, capsys):
    with pytest.raises(CommandError) as exc:
        call_command("import_students", str(mixed), "--school", world.school_a.code)
    assert exc.value.returncode == 1
    assert "第 5 行 性别：“未知”不是可识别的值" in capsys.readouterr().out


def test_commit_is_all_or_nothing(world, mixed):
    with pytest.raises(CommandError) as exc:
        call_command("import_students", str(mixed), "--school", world.school_a.code, "--commit")
    assert exc.value.returncode == 1 and "整个文件未保存" in str(exc.value)
    assert not Student.objects.filter(name__in=["王100", "王101"]).exists()
    assert ImportBatch.objects.get().status == ImportBatch.Status.REJECTED


def test_commit_valid_only_saves_valid_rows_and_prints_counts(world, mixed, capsys):
    call_command("import_students", str(mixed), "--school", world.school_a.code, "--commit", "--valid-only",
                 "--user", "principal_a")
    out = capsys.readouterr().out
    assert "新增 1  更新 0  无变化 0  有错误 1" in out and "跳过有错误的行 1" in out
    assert Student.objects.filter(name="王100").exists() and not Student.objects.filter(name="王101").exists()
    assert ImportBatch.objects.get(status="committed").uploaded_by == world.principal_a


def test_second_commit_reports_unchanged(world, good, capsys):
    call_command("import_students", str(good), "--school", world.school_a.code, "--commit")
    call_command("import_students", str(good), "--school", world.school_a.code, "--commit")
    assert "新增 0，更新 0，无变化 2" in capsys.readouterr().out
    assert Student.objects.filter(name__in=["王100", "王101"]).count() == 2


@pytest.mark.parametrize("args,message", [
    (["--school", "0000000000"], "没有学校标识码"),
    (["--school", "SCHOOL", "--valid-only"], "只能与 --commit 一起使用"),
    (["--school", "SCHOOL", "--user", "nobody_here"], "没有用户"),
    (["--school", "SCHOOL", "--user", "principal_b", "--commit"], "没有权限"),
])
def test_bad_arguments_exit_2(world, good, args, message):
    args = [a.replace("SCHOOL", world.school_a.code) for a in args]
    with pytest.raises(CommandError, match=message) as exc:
        call_command("import_students", str(good), *args)
    assert exc.value.returncode == 2


def test_unreadable_file_exits_2(world, tmp_path):
    path = tmp_path / "x.xlsx"
    path.write_text("not excel")
    with pytest.raises(CommandError, match="不是 Excel") as exc:
        call_command("import_students", str(path), "--school", world.school_a.code)
    assert exc.value.returncode == 2
    with pytest.raises(CommandError, match="找不到文件"):
        call_command("import_students", str(tmp_path / "missing.xlsx"), "--school", world.school_a.code)
