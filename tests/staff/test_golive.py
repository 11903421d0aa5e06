"""Done when (issue 16): the demo district's schools, villages and 300 staff imported from spreadsheets; every new
account is forced to change its password at first login. Also the 名录 imports' errors and re-imports."""
import datetime
import random
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from kongchuo.models import Area, Grade, Job, Role, RoleAssignment, School, SchoolClass, SchoolYear, SubDistrict, User, Village
from kongchuo.xlsx import table_workbook
from staff.models import OrgImport, StaffProfile
from staff.samples import SCHOOL_HEADERS, VILLAGE_HEADERS, staff_rows, staff_workbook
from students.importing.samples import SAMPLES_DIR
from tests import factories as f


@pytest.fixture
def empty_district(db):
    area = Area.objects.create(name="上天梯管理区", code="411571")
    SchoolYear.objects.create(name="2026-2027", start_date=datetime.date(2026, 9, 1),
                              end_date=datetime.date(2027, 8, 31), is_current=True)
    office = f.UserFactory(username="office_golive", real_name="廖燕", phone="13700000000")
    f.RoleAssignmentFactory(user=office, role=Role.OFFICE_STAFF, area=area)
    return area, office


def test_demo_district_goes_live_from_spreadsheets(client, empty_district, capsys):
    area, office = empty_district
    call_command("import_org", str(SAMPLES_DIR / "school_list_sample.xlsx"), "--kind", "schools", "--commit")
    call_command("import_org", str(SAMPLES_DIR / "village_list_sample.xlsx"), "--kind", "villages", "--commit")
    assert School.objects.filter(area=area).count() == 4 and Village.objects.count() == 6
    assert list(SubDistrict.objects.values_list("name", flat=True)) == ["土城办事处"]
    assert set(School.objects.values_list("subdistrict__name", flat=True)) == {"土城办事处"}
    capsys.readouterr()
    call_command("import_org", str(SAMPLES_DIR / "school_list_sample.xlsx"), "--kind", "schools", "--commit")
    assert "无变化 4" in capsys.readouterr().out and School.objects.count() == 4
    # grades and classes of the year (normally from the 学籍 import)
    year = SchoolYear.objects.get()
    for school in School.objects.all():
        for level in school.grade_levels:
            grade = Grade.objects.create(school=school, school_year=year, level=level)
            for number in (1, 2):
                SchoolClass.objects.create(grade=grade, number=number)
    rows = staff_rows(area, n=300, seed=5)
    client.force_login(office)
    upload = SimpleUploadedFile("教职工名单.xlsx", staff_workbook(rows))
    response = client.post(reverse("staff:import"), {"target": f"area:{area.pk}", "file": upload})
    assert response.status_code == 302, response.content.decode()[:2000]
    job = Job.objects.get(kind="staff.import_preview")
    assert response.url == reverse("jobs:detail", args=[job.pk])  # the preview runs as a job
    response = client.get(response.url)  # the done job's page goes on to the preview
    detail = client.get(response.url).content.decode()
    assert "新建账号 300" in detail and "有错误 0" in detail
    record_pk = int(response.url.rstrip("/").split("/")[-1])
    assert record_pk == job.result["record"]
    done = client.post(reverse("staff:import_commit", args=[record_pk]), follow=True)
    commit_job = Job.objects.get(kind="staff.import_commit")
    assert done.redirect_chain == [(reverse("jobs:detail", args=[commit_job.pk]), 302),
                                   (reverse("staff:import_credentials", args=[commit_job.pk]), 302)]
    passwords = dict(re.findall(r'name="user" value="(\d+)"><input type="hidden" name="password" value="([^"]+)"',
                                done.content.decode()))
    assert len(passwords) == 300 and StaffProfile.objects.filter(must_change_password=True).count() == 300
    assert RoleAssignment.objects.filter(role=Role.HEAD_TEACHER, is_active=True).count() == SchoolClass.objects.count()
    client.logout()
    for pk in random.Random(1).sample(sorted(passwords), 5):
        user = User.objects.get(pk=pk)
        other = client.__class__()
        other.post(reverse("login"), {"username": user.username, "password": passwords[pk]})
        response = other.get(reverse("workbench"))
        assert response.status_code == 302 and response.url == reverse("staff:first_password")


def test_org_import_rows_with_errors_are_listed_in_chinese(empty_district, tmp_path, capsys):
    path = tmp_path / "schools.xlsx"
    path.write_bytes(table_workbook(title="学校名录", headers=SCHOOL_HEADERS, rows=[
        [1, "2141571001", "土城中心小学", "小学", "土城办事处", "", ""],
        [2, "12345", "短码小学", "小学", "", "", ""],
        [3, "2141571003", "", "高中", "", "", ""],
        [4, "2141571001", "重复小学", "初中", "", "", ""],
        [5, "2141571005", "未知办事处小学", "初中", "999", "", ""],
    ]))
    with pytest.raises(CommandError) as exc:
        call_command("import_org", str(path), "--kind", "schools", "--commit")
    assert exc.value.returncode == 1
    out = capsys.readouterr().out
    assert "第 4 行 学校标识码：应为 10 位数字" in out
    assert "第 5 行 学校名称：不能为空" in out and "第 5 行 学段：应为 小学、初中 或 九年一贯制" in out
    assert "第 6 行 学校标识码：与第 3 行重复" in out
    assert "第 7 行 所属办事处：没有这个代码的办事处" in out
    assert not School.objects.exists() and not SubDistrict.objects.exists()
    call_command("import_org", str(path), "--kind", "schools", "--commit", "--valid-only")
    assert list(School.objects.values_list("name", flat=True)) == ["土城中心小学"]
    vpath = tmp_path / "villages.xlsx"
    vpath.write_bytes(table_workbook(title="村名录", headers=VILLAGE_HEADERS, rows=[
        [1, "41157100201", "胡洼村", ""], [2, "abc", "刘寨村", "土城办事处"]]))
    with pytest.raises(CommandError):
        call_command("import_org", str(vpath), "--kind", "villages")
    out = capsys.readouterr().out
    assert "第 3 行 办事处：不能为空" in out and "第 4 行 代码：应为 6–20 位数字" in out


def test_org_import_on_the_web_is_for_the_area_sysadmin_and_office_only(client, empty_district, world):
    area, office = empty_district
    client.force_login(office)
    upload = SimpleUploadedFile("v.xlsx", (SAMPLES_DIR / "village_list_sample.xlsx").read_bytes())
    response = client.post(reverse("staff:org_import"), {"kind": "villages", "area": area.pk, "file": upload})
    record = OrgImport.objects.get()
    job = Job.objects.get(kind="staff.org_import_preview")
    assert response.status_code == 302 and response.url == reverse("jobs:detail", args=[job.pk])
    assert client.get(response.url).url == reverse("staff:org_import_detail", args=[record.pk])
    assert record.new_count == 6 and not Village.objects.filter(subdistrict__area=area).exists()
    done = client.post(reverse("staff:org_import_detail", args=[record.pk]), follow=True)
    commit_job = Job.objects.get(kind="staff.org_import_commit")
    assert done.redirect_chain[0][0] == reverse("jobs:detail", args=[commit_job.pk])
    assert done.redirect_chain[-1][0] == reverse("staff:org_import_detail", args=[record.pk])
    assert "已导入" in done.content.decode()
    assert Village.objects.filter(subdistrict__area=area).count() == 6
    client.force_login(world.office)  # another area's 教育办
    assert client.get(reverse("staff:org_import_detail", args=[record.pk])).status_code == 404
    client.force_login(world.principal_a)
    assert client.get(reverse("staff:org_import")).status_code == 403


def test_classes_of_the_year_from_a_sheet(empty_district, tmp_path, capsys):
    call_command("import_org", str(SAMPLES_DIR / "school_list_sample.xlsx"), "--kind", "schools", "--commit")
    path = tmp_path / "classes.xlsx"
    path.write_bytes(table_workbook(title="班级", headers=["学校", "班级"], rows=[
        ["上天梯管理区土城中心小学", "一年级(1)班"], ["上天梯管理区土城中心小学", "一年级（2）班"],
        ["2141571004", "初一(1)班"], ["上天梯管理区土城中心小学", "七年级1班"], ["上天梯管理区土城中心小学", "一年级1班"],
        ["不存在", "一年级1班"]]))
    with pytest.raises(CommandError):
        call_command("import_org", str(path), "--kind", "classes", "--commit")
    out = capsys.readouterr().out
    assert "第 6 行 班级：" in out and "没有七年级" in out
    assert "第 7 行 班级：" in out and "与第 3 行重复" in out and "第 8 行 学校：不是本区的学校" in out
    assert not SchoolClass.objects.exists()
    call_command("import_org", str(path), "--kind", "classes", "--commit", "--valid-only")
    assert SchoolClass.objects.count() == 3 and Grade.objects.filter(level=7, school__code="2141571004").exists()
    capsys.readouterr()
    call_command("import_org", str(path), "--kind", "classes", "--commit", "--valid-only")
    assert "无变化 3" in capsys.readouterr().out and SchoolClass.objects.count() == 3
