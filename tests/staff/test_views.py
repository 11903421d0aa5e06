"""Staff pages (go-live): first login forced password change, 忘记密码 helper, the principal's pages (add, reset,
end, grant), web import preview → confirm → one-time passwords → slips PDF, IDOR answers 404, dormant accounts,
login history, the set-up checklist."""
import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from kongchuo.models import Job, Role, RoleAssignment, User
from staff import services
from staff.models import StaffImport, StaffProfile
from staff.samples import write_staff_file
from tests import factories as f

GOOD_NEW = "Xinmima#2026"


def _login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


@pytest.fixture
def new_teacher(world):
    return services.staff_create(actor=world.principal_a, real_name="新教师", phone="13800000001",
                                 school=world.school_a, roles=[(Role.TEACHER, world.school_a)])


def test_first_login_is_forced_to_change_password_then_works(client, new_teacher):
    user, password = new_teacher
    _login(client, user.username, password)
    for url in (reverse("workbench"), reverse("students:list"), reverse("password_change")):
        response = client.get(url)
        assert response.status_code == 302 and response.url == reverse("staff:first_password")
    page = client.get(reverse("staff:first_password"))
    assert "首次登录" in page.content.decode()
    # the password rules apply; the one-time password cannot be kept
    weak = client.post(reverse("staff:first_password"),
                       {"old_password": password, "new_password1": "12345678", "new_password2": "12345678"})
    assert weak.status_code == 200 and "密码" in weak.content.decode()
    same = client.post(reverse("staff:first_password"),
                       {"old_password": password, "new_password1": password, "new_password2": password})
    assert "新密码不能与初始密码相同" in same.content.decode()
    assert StaffProfile.objects.get(user=user).must_change_password
    done = client.post(reverse("staff:first_password"),
                       {"old_password": password, "new_password1": GOOD_NEW, "new_password2": GOOD_NEW})
    assert done.status_code == 302 and done.url == reverse("workbench")
    assert not StaffProfile.objects.get(user=user).must_change_password
    assert client.get(reverse("workbench")).status_code == 200  # still logged in, no redirect


def test_password_help_names_the_school_admin_without_revealing_the_account(client, world):
    world.principal_a.phone = "13912345678"
    world.principal_a.real_name = "李校长"
    world.principal_a.save()
    page = client.get(reverse("staff:password_help"), {"username": "teacher_a"}).content.decode()
    assert "李校长" in page and "13912345678" in page
    assert world.teacher_a.real_name not in page and world.school_a.name not in page
    world.office.real_name, world.office.phone = "廖主任", "13711112222"
    world.office.save()
    unknown = client.get(reverse("staff:password_help"), {"username": "no-such-user"}).content.decode()
    assert "廖主任" in unknown  # unknown usernames get the 教育办: the answer does not tell who exists
    principal = client.get(reverse("staff:password_help"), {"username": "principal_a"}).content.decode()
    assert "廖主任" in principal and "李校长" not in principal
    login = client.get(reverse("login")).content.decode()
    assert reverse("staff:password_help") in login and "忘记密码" in login
    assert client.get(reverse("staff:password_help"), {"username": "a\x00b"}).status_code == 200


def test_principal_adds_teacher_on_the_page_and_sees_the_password_once(client, world):
    client.force_login(world.principal_a)
    page = client.get(reverse("staff:add")).content.decode()
    assert f"teacher:{world.school_a.pk}" in page and f"teacher:{world.school_b.pk}" not in page
    response = client.post(reverse("staff:add"), {"real_name": "王老师", "phone": "13800000005", "id_number": "",
                                                  "post": "数学", "roles": [f"teacher:{world.school_a.pk}",
                                                                            f"head_teacher:{world.class_a32.pk}"]})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    body = response.content.decode()
    password = re.search(r'class="fs-6 otp">([^<]+)<', body).group(1)
    user = User.objects.get(username="13800000005")
    assert user.check_password(password)
    assert set(user.role_assignments.values_list("role", flat=True)) == {Role.TEACHER, Role.HEAD_TEACHER}
    # a forged option outside the school is refused with a message, nothing created
    bad = client.post(reverse("staff:add"), {"real_name": "越权", "phone": "13800000006",
                                             "roles": [f"teacher:{world.school_b.pk}"]})
    assert bad.status_code == 200 and not User.objects.filter(username="13800000006").exists()
    # slips PDF from the credentials page
    pdf = client.post(reverse("staff:slips"), {"user": [user.pk], "password": [password]})
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content[:4] == b"%PDF"


def test_principal_resets_ends_and_grants_on_the_account_page(client, world):
    client.force_login(world.principal_a)
    detail = client.get(reverse("staff:detail", args=[world.teacher_a.pk]))
    assert detail.status_code == 200 and "登录记录" in detail.content.decode()
    reset = client.post(reverse("staff:reset", args=[world.teacher_a.pk]))
    password = re.search(r'class="fs-6 otp">([^<]+)<', reset.content.decode()).group(1)
    world.teacher_a.refresh_from_db()
    assert world.teacher_a.check_password(password)
    client.post(reverse("staff:grant", args=[world.teacher_a.pk]), {"role": f"grade_leader:{world.grade_a4.pk}"})
    assert RoleAssignment.objects.filter(user=world.teacher_a, role=Role.GRADE_LEADER, grade=world.grade_a4,
                                         is_active=True).exists()
    forged = client.post(reverse("staff:grant", args=[world.teacher_a.pk]), {"role": "school_admin:999999"},
                         follow=True)
    assert "角色的范围不存在" in forged.content.decode()
    client.post(reverse("staff:end", args=[world.teacher_a.pk]), {"reason": "调离"})
    world.teacher_a.refresh_from_db()
    assert not world.teacher_a.is_active
    listing = client.get(reverse("staff:list")).content.decode()
    assert "已停用" in listing and world.teacher_a.username in listing


@pytest.mark.parametrize("persona,target,expected", [
    ("principal_a", "teacher_b", 404), ("principal_a", "office", 404), ("principal_b", "teacher_a", 404),
    ("office", "sysadmin", 404), ("teacher_a", "head_a", 403), ("village", "teacher_a", 403),
    ("sysadmin", "teacher_a", 403), ("subdistrict", "village", 403),
])
def test_account_pages_outside_scope_are_refused(client, world, persona, target, expected):
    client.force_login(getattr(world, persona))
    pk = getattr(world, target).pk
    assert client.get(reverse("staff:detail", args=[pk])).status_code == expected
    for name in ("staff:reset", "staff:end", "staff:grant"):
        assert client.post(reverse(name, args=[pk]), {"reason": "x", "role": "teacher:1"}).status_code == expected
    assert getattr(world, target).__class__.objects.get(pk=pk).is_active


def test_slips_refuse_accounts_outside_scope(client, world):
    services.account_reset_password(actor=world.principal_b, user=world.teacher_b)
    client.force_login(world.principal_a)
    assert client.post(reverse("staff:slips"), {"user": [world.teacher_b.pk], "password": ["x"]}).status_code == 404


def test_web_import_preview_then_confirm_creates_accounts(client, world, tmp_path):
    path = write_staff_file(tmp_path / "s.xlsx", [
        [1, "甲老师", "13800000031", "", world.school_a.name, "教师", "科任教师"],
        [2, "乙老师", "13800000032", "", world.school_a.name, "教师", "班主任（三年级2班）"],
        [3, "丙老师", "13800000033", "", world.school_b.name, "教师", "科任教师"],
    ])
    client.force_login(world.principal_a)
    upload = SimpleUploadedFile("教职工.xlsx", path.read_bytes())
    response = client.post(reverse("staff:import"), {"target": f"school:{world.school_a.pk}", "file": upload})
    record = StaffImport.objects.get()
    job = Job.objects.get(kind="staff.import_preview")
    # the upload starts the preview job; the job's page, once done, goes on to the preview
    assert response.status_code == 302 and response.url == reverse("jobs:detail", args=[job.pk])
    response = client.get(response.url)
    assert response.status_code == 302 and response.url == reverse("staff:import_detail", args=[record.pk])
    assert record.status == StaffImport.Status.PREVIEWED
    preview = client.get(response.url).content.decode()
    assert "第 6 行" in preview and "不一致" in preview and "新建账号" in preview
    assert not User.objects.filter(username__startswith="138000000").exists()
    kept = client.post(reverse("staff:import_commit", args=[record.pk]), follow=True)
    assert "未导入任何数据" in kept.content.decode()
    done = client.post(reverse("staff:import_commit", args=[record.pk]), {"valid_only": "on"}, follow=True)
    commit_job = Job.objects.filter(kind="staff.import_commit").latest("pk")
    assert done.redirect_chain[-1][0] == reverse("staff:import_credentials", args=[commit_job.pk])
    assert done.status_code == 200 and done.content.decode().count('class="fs-6 otp"') == 2
    assert User.objects.filter(username__in=["13800000031", "13800000032"]).count() == 2
    assert StaffImport.objects.get().status == StaffImport.Status.COMMITTED
    # other schools' admins do not see the record
    client.force_login(world.principal_b)
    assert client.get(reverse("staff:import_detail", args=[record.pk])).status_code == 404


def test_web_import_refuses_a_non_excel_file_with_a_chinese_message(client, world):
    client.force_login(world.principal_a)
    response = client.post(reverse("staff:import"), {"target": f"school:{world.school_a.pk}",
                                                     "file": SimpleUploadedFile("a.xlsx", b"hello")})
    assert response.status_code == 200 and "Excel" in response.content.decode()
    assert not StaffImport.objects.exists()
    other = client.post(reverse("staff:import"), {"target": f"school:{world.school_b.pk}",
                                                  "file": SimpleUploadedFile("a.xlsx", b"hello")})
    assert other.status_code == 200 and not StaffImport.objects.exists()  # not a choice for principal_a


def test_dormant_accounts_and_login_history(client, world):
    old = timezone.now() - datetime.timedelta(days=400)
    User.objects.filter(pk=world.teacher_a.pk).update(last_login=old, date_joined=old)
    User.objects.filter(pk=world.head_a.pk).update(last_login=timezone.now())
    User.objects.filter(pk=world.gradelead_a.pk).update(last_login=None, date_joined=old)
    client.post(reverse("login"), {"username": "teacher_b", "password": f.PASSWORD})
    client.force_login(world.principal_a)
    page = client.get(reverse("staff:dormant")).content.decode()
    assert world.teacher_a.username in page and world.gradelead_a.username in page
    assert world.head_a.username not in page and world.teacher_b.username not in page
    client.force_login(world.principal_b)
    history = client.get(reverse("staff:detail", args=[world.teacher_b.pk])).content.decode()
    assert "登录" in history and "没有登录记录" not in history


def test_setup_checklist_shows_what_is_missing(client, world):
    client.force_login(world.sysadmin)
    page = client.get(reverse("staff:checklist")).content.decode()
    assert "学期" in page and "没有学校管理员的学校" in page and world.school_c.name in page
    assert "未建立管理区领导小组" in page
    client.force_login(world.principal_a)
    assert client.get(reverse("staff:checklist")).status_code == 403


def test_a_reset_ends_the_open_session_and_the_next_login_is_forced(client, world):
    _login(client, "teacher_a", f.PASSWORD)
    assert client.get(reverse("workbench")).status_code == 200
    password = services.account_reset_password(actor=world.principal_a, user=world.teacher_a)
    response = client.get(reverse("workbench"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    _login(client, "teacher_a", password)
    assert client.get(reverse("workbench")).url == reverse("staff:first_password")


def test_admin_shows_go_live_records_read_only(client, world, new_teacher):
    client.force_login(world.sysadmin)
    assert client.get("/admin/staff/staffprofile/").status_code == 200
    assert client.get("/admin/staff/staffprofile/add/").status_code == 403
    page = client.get(f"/admin/staff/staffprofile/{new_teacher[0].staff_profile.pk}/change/").content.decode()
    assert "新教师" in page and new_teacher[1] not in page


def test_office_adds_a_village_account_that_belongs_to_the_area_not_a_school(client, world):
    client.force_login(world.office)
    response = client.post(reverse("staff:add"), {"real_name": "村主任", "phone": "13800000077",
                                                  "roles": [f"village_cadre:{world.v1b.pk}"]})
    assert response.status_code == 200
    profile = StaffProfile.objects.get(user__username="13800000077")
    assert profile.school is None and profile.area == world.area
    listing = client.get(reverse("staff:list"), {"school": "area"}).content.decode()
    assert "村主任" in listing


def test_staff_list_finds_a_teacher_by_name_or_phone_in_own_school_only(client, world):
    world.teacher_a.real_name, world.teacher_a.phone = "吴婷", "13800003333"
    world.teacher_a.save()
    client.force_login(world.principal_a)
    page = client.get(reverse("staff:list"), {"school": world.school_a.pk, "q": "3333"}).content.decode()
    assert "吴婷" in page and world.head_a.username not in page
    other = client.get(reverse("staff:list"), {"school": world.school_b.pk, "q": "teacher"}).content.decode()
    assert world.teacher_b.username not in other  # school B is not a choice: principal_a's own school is shown
