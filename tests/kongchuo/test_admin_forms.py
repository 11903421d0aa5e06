"""The admin user form (role-assignment inline) and the role-assignment form: a bad or empty scope value is a
Chinese form error naming the field — never a 500, never a saved row (issue 9)."""
import pytest
from django.urls import reverse

from kongchuo.models import Role, RoleAssignment

BAD_VALUES = ["", " ", "abc", "1.5", "-1", "999999999", "\x00", "１"]


def _user_form(user, ra, school):
    return {
        "username": user.username, "real_name": user.real_name, "is_active": "on",
        "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00",
        "role_assignments-TOTAL_FORMS": "2", "role_assignments-INITIAL_FORMS": "1",
        "role_assignments-MIN_NUM_FORMS": "0", "role_assignments-MAX_NUM_FORMS": "1000",
        "role_assignments-0-id": str(ra.pk), "role_assignments-0-user": str(user.pk),
        "role_assignments-0-role": ra.role, "role_assignments-0-school": str(ra.school_id),
        "role_assignments-0-is_active": "on",
        "role_assignments-1-user": str(user.pk), "role_assignments-1-role": Role.SCHOOL_ADMIN,
        "role_assignments-1-school": school, "role_assignments-1-is_active": "on",
    }


@pytest.mark.parametrize("school", BAD_VALUES)
def test_user_form_bad_school_in_role_inline_is_a_chinese_error(client, world, school):
    client.force_login(world.sysadmin)
    user = world.teacher_a
    ra = user.role_assignments.get()
    client.raise_request_exception = False
    response = client.post(reverse("admin:kongchuo_user_change", args=[user.pk]), _user_form(user, ra, school))
    assert response.status_code == 200
    body = response.content.decode()
    assert "学校" in body and ("必须指定学校" in body or "所选项不存在" in body)
    assert RoleAssignment.objects.filter(user=user).count() == 1


@pytest.mark.parametrize("school", BAD_VALUES)
def test_user_add_form_bad_school_is_a_chinese_error(client, world, school):
    client.force_login(world.sysadmin)
    data = {"username": "newuser", "password1": "Abcdef-2026x", "password2": "Abcdef-2026x", "usable_password": "true",
            "role_assignments-TOTAL_FORMS": "1", "role_assignments-INITIAL_FORMS": "0",
            "role_assignments-MIN_NUM_FORMS": "0", "role_assignments-MAX_NUM_FORMS": "1000",
            "role_assignments-0-role": Role.TEACHER, "role_assignments-0-school": school,
            "role_assignments-0-is_active": "on"}
    client.raise_request_exception = False
    response = client.post(reverse("admin:kongchuo_user_add"), data)
    assert response.status_code == 200
    assert "学校" in response.content.decode()
    assert not RoleAssignment.objects.filter(user__username="newuser").exists()


@pytest.mark.parametrize("field,role", [("school", Role.TEACHER), ("school_class", Role.HEAD_TEACHER),
                                        ("grade", Role.GRADE_LEADER), ("village", Role.VILLAGE_CADRE),
                                        ("user", Role.TEACHER)])
@pytest.mark.parametrize("value", ["", " ", "abc"])
def test_role_assignment_form_bad_autocomplete_value_is_a_chinese_error(client, world, field, role, value):
    client.force_login(world.sysadmin)
    data = {"user": str(world.teacher_a.pk), "role": role, "is_active": "on", field: value}
    client.raise_request_exception = False
    before = RoleAssignment.objects.count()
    response = client.post(reverse("admin:kongchuo_roleassignment_add"), data)
    assert response.status_code == 200
    errors = str(response.context["adminform"].form.errors)
    label = str(RoleAssignment._meta.get_field(field).verbose_name)
    assert label in errors or "必填" in errors, errors
    assert RoleAssignment.objects.count() == before
