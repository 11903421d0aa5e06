"""Go-live on a phone: a teacher imported with a one-time password logs in on a 360×740 screen, is sent to
“设置新密码”, is refused a weak password, sets a good one and reaches the workbench; the login page says whom to ask."""
import pytest

from kongchuo.models import Role
from staff import services
from staff.models import StaffProfile
from tests import factories as f


@pytest.fixture
def teacher(transactional_db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    school = f.SchoolFactory(name="土城中心小学")
    principal = f.UserFactory(username="principal", real_name="李文华")
    principal.phone = "13912345678"
    principal.save()
    f.RoleAssignmentFactory(user=principal, role=Role.SCHOOL_ADMIN, school=school)
    return services.staff_create(actor=principal, real_name="吴婷", phone="13800001111", school=school,
                                 roles=[(Role.TEACHER, school)])


@pytest.mark.django_db(transaction=True)
def test_first_login_on_a_phone_forces_a_new_password(teacher, page, live_server, login, screenshot):
    user, password = teacher
    page.goto(f"{live_server.url}/accounts/login/")
    page.click("#forgot-password")
    page.fill("input[name=username]", user.username)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "李文华" in page.locator("#helpers").inner_text() and "13912345678" in page.content()
    screenshot(page, "golive_password_help")
    login(page, user.username, password)
    assert page.url.endswith("/staff/first-password/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "golive_first_password")
    page.fill("input[name=old_password]", password)
    page.fill("input[name=new_password1]", "12345678")
    page.fill("input[name=new_password2]", "12345678")
    page.click("#first-password-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/staff/first-password/") and page.locator(".invalid-feedback").count() >= 1
    page.fill("input[name=old_password]", password)
    page.fill("input[name=new_password1]", "Wuting#2026x")
    page.fill("input[name=new_password2]", "Wuting#2026x")
    page.click("#first-password-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator("#workbench-title").inner_text() == "我的工作台"
    assert not StaffProfile.objects.get(user=user).must_change_password
    page.goto(f"{live_server.url}/students/")
    assert "/staff/first-password/" not in page.url
