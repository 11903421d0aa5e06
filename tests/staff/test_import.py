"""教职工名单 import (go-live): the demo district's 300 staff from a spreadsheet, exit codes, re-import never
duplicates, per-row Chinese errors, one-time passwords and slips."""
import io

import pikepdf
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kongchuo.demo import build_org
from kongchuo.models import Role, RoleAssignment, User
from staff.models import StaffImport, StaffProfile
from staff.samples import HEADERS, staff_rows, write_staff_file


@pytest.fixture
def org(db):
    return build_org()


@pytest.fixture
def district_file(org, tmp_path):
    rows = staff_rows(org["area"], n=300, seed=11)
    return write_staff_file(tmp_path / "staff.xlsx", rows), rows


def _row(name, phone, school="", roles="科任教师", id_number="", post="教师"):
    return [1, name, phone, id_number, school, post, roles]


def test_import_demo_district_300_staff_creates_accounts_forced_to_change_password(district_file, capsys):
    path, rows = district_file
    call_command("import_staff", str(path), "--commit")
    out = capsys.readouterr().out
    assert "新建账号 300" in out and out.count("初始密码 ") == 300
    profiles = StaffProfile.objects.select_related("user")
    assert profiles.count() == 300
    assert all(p.must_change_password and p.user.has_usable_password() for p in profiles)
    phones = {str(int(r[2])) if isinstance(r[2], float) else r[2] for r in rows}
    assert set(User.objects.filter(staff_profile__isnull=False).values_list("username", flat=True)) == phones
    # every class of the current year got its 班主任, every school a 校长
    from kongchuo.models import SchoolClass

    classes = SchoolClass.objects.filter(grade__school_year__is_current=True).count()
    assert RoleAssignment.objects.filter(role=Role.HEAD_TEACHER, is_active=True).count() == classes
    assert RoleAssignment.objects.filter(role=Role.SCHOOL_ADMIN, is_active=True).count() == 4
    assert RoleAssignment.objects.filter(role=Role.VILLAGE_CADRE, is_active=True).count() == 6
    assert StaffImport.objects.get().status == StaffImport.Status.COMMITTED


def test_slips_pdf_has_one_slip_per_new_account_four_to_a_page(org, tmp_path, capsys):
    rows = staff_rows(org["area"], n=9, seed=3)
    path = write_staff_file(tmp_path / "nine.xlsx", rows)
    slips = tmp_path / "slips.pdf"
    call_command("import_staff", str(path), "--commit", "-o", str(slips))
    out = capsys.readouterr().out
    assert "账号开通单" in out and "（9 张）" in out and "初始密码 " not in out
    with pikepdf.open(io.BytesIO(slips.read_bytes())) as pdf:
        assert len(pdf.pages) == 3
        text = b"".join(page.Contents.read_bytes() if hasattr(page.Contents, "read_bytes") else b""
                        for page in pdf.pages)
    assert text  # laid-out pages, not empty


def test_reimport_updates_by_phone_or_id_and_never_duplicates(org, tmp_path, capsys):
    school = org["schools"][0]
    first = write_staff_file(tmp_path / "a.xlsx", [
        _row("王红梅", "13812340001", school.name, id_number="411503198001010017"),
        _row("李志强", "13812340002", school.name)])
    call_command("import_staff", str(first), "--school", school.code, "--commit")
    capsys.readouterr()
    wang = User.objects.get(username="13812340001")
    # same ID number, new phone and corrected name; same phone for 李志强 with a new role
    second = write_staff_file(tmp_path / "b.xlsx", [
        _row("王红玫", "13912340009", school.name, id_number="411503198001010017"),
        _row("李志强", "13812340002", school.name, roles="科任教师；班主任（一年级1班）")])
    call_command("import_staff", str(second), "--school", school.code, "--commit")
    out = capsys.readouterr().out
    assert "新建账号 0，更新 2" in out
    assert User.objects.filter(staff_profile__isnull=False).count() == 2
    wang.refresh_from_db()
    assert (wang.real_name, wang.phone, wang.username) == ("王红玫", "13912340009", "13812340001")
    li = User.objects.get(username="13812340002")
    assert RoleAssignment.objects.filter(user=li, role=Role.HEAD_TEACHER, is_active=True).exists()
    call_command("import_staff", str(second), "--school", school.code, "--commit")
    assert "无变化 2" in capsys.readouterr().out


def test_preview_lists_chinese_row_errors_and_exits_1_saving_nothing(org, tmp_path, capsys):
    school = org["schools"][0]
    path = write_staff_file(tmp_path / "bad.xlsx", [
        _row("赵一", "13812340011", school.name),
        _row("钱二", "0376-1234567", school.name),
        _row("孙三", "13812340013", school.name, roles="班主任（九年级1班）"),
        _row("李四", "13812340014", school.name, roles="扫地僧"),
        _row("周五", "13812340011", school.name),
        _row("吴六", "13812340016", school.name, roles="系统管理员"),
        _row("郑七", "13812340017", "不存在的学校"),
        _row("王八", "13812340018", school.name, id_number="411503198001010013"),
    ])
    with pytest.raises(CommandError) as exc:
        call_command("import_staff", str(path), "--school", school.code)
    assert exc.value.returncode == 1
    out = capsys.readouterr().out
    assert "第 5 行 手机号：应为 11 位手机号" in out
    assert "第 6 行 角色：" in out and "没有九年级" in out
    assert "第 7 行 角色：无法识别的角色" in out
    assert "第 8 行 手机号：与第 4 行是同一人" in out
    assert "第 9 行 角色：系统管理员账号不能通过名单导入" in out
    assert "第 10 行 学校：不是本区的学校" in out
    assert "第 11 行 身份证号：无效" in out
    assert not User.objects.filter(staff_profile__isnull=False).exists()
    # --commit without --valid-only: all or nothing
    with pytest.raises(CommandError) as exc:
        call_command("import_staff", str(path), "--school", school.code, "--commit")
    assert exc.value.returncode == 1 and not StaffProfile.objects.exists()
    call_command("import_staff", str(path), "--school", school.code, "--commit", "--valid-only")
    out = capsys.readouterr().out
    assert "新建账号 1" in out and "初始密码" in out
    assert list(User.objects.filter(staff_profile__isnull=False).values_list("real_name", flat=True)) == ["赵一"]


def test_command_exit_2_for_unreadable_file_or_unknown_school(org, tmp_path):
    bad = tmp_path / "x.xlsx"
    bad.write_bytes(b"not excel")
    with pytest.raises(CommandError) as exc:
        call_command("import_staff", str(bad))
    assert exc.value.returncode == 2
    with pytest.raises(CommandError) as exc:
        call_command("import_staff", str(bad), "--school", "9999999999")
    assert exc.value.returncode == 2 and "9999999999" in str(exc.value)
    with pytest.raises(CommandError) as exc:
        call_command("import_staff", str(tmp_path / "missing.xlsx"))
    assert exc.value.returncode == 2


def test_file_without_header_is_refused_with_chinese_message(org, tmp_path):
    from kongchuo.xlsx import table_workbook

    path = tmp_path / "noheader.xlsx"
    path.write_bytes(table_workbook(title="名单", headers=["甲", "乙", "丙"], rows=[["1", "2", "3"]]))
    with pytest.raises(CommandError) as exc:
        call_command("import_staff", str(path))
    assert exc.value.returncode == 2 and "未找到表头行" in str(exc.value)


def test_sample_file_previews_clean(org):
    """students/importing/samples/staff_sample.xlsx, the file the README's 上线步骤 names, imports cleanly."""
    from students.importing.samples import SAMPLES_DIR

    call_command("import_staff", str(SAMPLES_DIR / "staff_sample.xlsx"))


def test_headers_match_the_sample_generator():
    assert HEADERS[1:] == ["姓 名", "手机号", "身份证号", "学校", "岗位", "角色"]


def test_a_class_already_held_by_another_head_teacher_is_a_row_error(org, tmp_path, capsys):
    from kongchuo.demo import current_class

    school = org["schools"][0]
    holder = User.objects.create(username="holder", real_name="周敏")
    RoleAssignment.objects.create(user=holder, role=Role.HEAD_TEACHER, school_class=current_class(school, 1))
    path = write_staff_file(tmp_path / "h.xlsx", [_row("新班主任", "13812340051", school.name,
                                                       roles="班主任（一年级1班）")])
    with pytest.raises(CommandError):
        call_command("import_staff", str(path), "--school", school.code)
    assert "该班已有班主任 周敏" in capsys.readouterr().out


def test_a_principal_import_cannot_grant_outside_the_school(org, tmp_path, capsys):
    school, other = org["schools"][0], org["schools"][1]
    principal = User.objects.create(username="p1")
    RoleAssignment.objects.create(user=principal, role=Role.SCHOOL_ADMIN, school=school)
    path = write_staff_file(tmp_path / "p.xlsx", [
        _row("甲", "13812340061", school.name, roles="校长"),
        _row("乙", "13812340062", school.name, roles="村干部（胡洼村）"),
        _row("丙", "13812340063", other.name)])
    with pytest.raises(CommandError) as exc:
        call_command("import_staff", str(path), "--user", "p1")  # area-wide: 教育办 only
    assert exc.value.returncode == 2 and "只有教育办可以导入全区" in str(exc.value)
    with pytest.raises(CommandError) as exc:
        call_command("import_staff", str(path), "--school", school.code, "--user", "p1")
    out = capsys.readouterr().out
    assert exc.value.returncode == 1
    assert "第 4 行 角色：您不能授予“校长/学校管理员" in out and "第 5 行 角色：您不能授予“村/社区干部" in out
    assert "第 6 行 学校：与所选的" in out


@pytest.mark.parametrize("text,expected", [
    ("班主任（三年级1班）；校领导：三年级、四年级；科任教师、校长",
     ["班主任(三年级1班)", "校领导(三年级、四年级)", "科任教师", "校长"]),
    ("村干部：胡洼村", ["村干部(胡洼村)"]),
    ("班主任:三年级1班，科任教师", ["班主任(三年级1班)", "科任教师"]),
    ("校领导(三年级、四年级)\n校长", ["校领导(三年级、四年级)", "校长"]),
])
def test_role_cell_spellings(text, expected):
    from staff.importing import split_roles

    assert split_roles(text) == expected


def test_several_roles_in_one_row_with_colon_and_bracket_forms(org, tmp_path, capsys):
    school = org["schools"][0]
    path = write_staff_file(tmp_path / "r.xlsx", [
        _row("多角色", "13812340071", school.name, roles="班主任：二年级2班；校领导（一年级、二年级）；科任教师")])
    call_command("import_staff", str(path), "--school", school.code, "--commit")
    user = User.objects.get(username="13812340071")
    held = sorted((a.role, str(a.scope_object)) for a in user.role_assignments.filter(is_active=True))
    assert [r for r, _ in held] == [Role.GRADE_LEADER, Role.GRADE_LEADER, Role.HEAD_TEACHER, Role.TEACHER]
