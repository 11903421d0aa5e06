"""Account services (go-live): a principal adds, ends and resets a teacher (包保 and case hand-over); every tier is
refused outside its scope; every change is in the audit history."""
import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cases.models import Case, CaseEvent
from cases.services import case_open
from kongchuo import access
from kongchuo.models import Role, RoleAssignment
from staff import services
from staff.models import StaffProfile
from students.models import CareAssignment
from students.selectors import unassigned_students
from tests import factories as f

ALL_PERSONAS = ("teacher_a", "head_a", "gradelead_a", "principal_a", "principal_b", "teacher_b", "office", "leader",
                "subdistrict", "village", "sysadmin", "nobody")


def _new_teacher(world, actor=None, phone="13800000001", **kw):
    actor = actor or world.principal_a
    return services.staff_create(actor=actor, real_name="新教师", phone=phone, school=world.school_a,
                                 roles=[(Role.TEACHER, world.school_a)], **kw)


def test_principal_adds_teacher_with_one_time_password_and_forced_change(world):
    user, password = _new_teacher(world, id_number="411503198001010017", post="语文教师")
    assert user.username == "13800000001" and user.check_password(password)
    assert len(password) == 10 and any(c.isupper() for c in password) and any(c.isdigit() for c in password)
    profile = StaffProfile.objects.get(user=user)
    assert profile.must_change_password and profile.password_issued_by == world.principal_a
    assert profile.school == world.school_a and profile.id_number == "411503198001010017"
    assert RoleAssignment.objects.filter(user=user, role=Role.TEACHER, school=world.school_a, is_active=True).exists()
    # audited: who created the account and the role, and why
    assert user.history.first().history_user == world.principal_a
    assert user.role_assignments.get().history.first().history_change_reason == "新建账号"


def test_adding_the_same_phone_or_id_twice_is_refused(world):
    _new_teacher(world, id_number="411503198001010017")
    with pytest.raises(ValidationError) as exc:
        _new_teacher(world)
    assert "已有账号" in str(exc.value)
    with pytest.raises(ValidationError) as exc:
        _new_teacher(world, phone="13800000002", id_number="411503198001010017")
    assert "身份证号已有账号" in str(exc.value)
    with pytest.raises(ValidationError) as exc:
        _new_teacher(world, phone="0376-123")
    assert "手机号" in str(exc.value)


def test_principal_ends_teacher_care_goes_to_unassigned_and_open_cases_to_head_teacher(world):
    teacher = world.teacher_a  # 包保 a1 (class A3(1), 班主任 head_a)
    case = case_open(student=world.a1, trigger=Case.Trigger.TEACHER_REPORT, actor=world.principal_a, note="测试")
    assert case.owner == teacher
    assert world.a1 not in unassigned_students(world.principal_a, world.school_a)
    result = services.account_end(actor=world.principal_a, user=teacher, reason="调离")
    teacher.refresh_from_db()
    assert not teacher.is_active
    assert not RoleAssignment.objects.filter(user=teacher, is_active=True).exists()
    assert not CareAssignment.objects.filter(teacher=teacher, is_active=True).exists()
    assert world.a1 in unassigned_students(world.principal_a, world.school_a)
    case.refresh_from_db()
    assert case.owner == world.head_a
    event = CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.REASSIGNED).get()
    assert event.actor == world.principal_a and "已停用" in event.reason
    assert result["students"] == [world.a1] and result["cases"] == [(case, world.head_a)]
    assert teacher.history.first().history_change_reason == "账号停用：调离"
    assert StaffProfile.objects.get(user=teacher).ended_by == world.principal_a
    # the teacher can no longer log in
    from django.test import Client

    response = Client().post("/accounts/login/", {"username": "teacher_a", "password": f.PASSWORD})
    assert response.status_code == 200 and "_auth_user_id" not in response.wsgi_request.session


def test_ending_needs_a_reason_and_happens_once(world):
    with pytest.raises(ValidationError):
        services.account_end(actor=world.principal_a, user=world.teacher_a, reason=" ")
    services.account_end(actor=world.principal_a, user=world.teacher_a, reason="退休")
    with pytest.raises(ValidationError):
        services.account_end(actor=world.principal_a, user=world.teacher_a, reason="退休")


def test_principal_resets_teacher_password_to_new_one_time_password(world):
    password = services.account_reset_password(actor=world.principal_a, user=world.teacher_a)
    world.teacher_a.refresh_from_db()
    assert world.teacher_a.check_password(password) and not world.teacher_a.check_password(f.PASSWORD)
    assert StaffProfile.objects.get(user=world.teacher_a).must_change_password
    assert world.teacher_a.history.first().history_change_reason == "重置密码"
    assert world.teacher_a.history.first().history_user == world.principal_a


def test_principal_grants_and_ends_roles_inside_the_school(world):
    a = services.role_grant(actor=world.principal_a, user=world.teacher_a, role=Role.HEAD_TEACHER,
                            scope_obj=world.class_a32)
    assert a.is_active and a.school_class == world.class_a32
    assert a.history.first().history_user == world.principal_a
    services.role_end(actor=world.principal_a, assignment=a)
    a.refresh_from_db()
    assert not a.is_active and a.history.first().history_change_reason == "结束角色"
    # one 班主任 per class: head_a holds A3(1)
    with pytest.raises(ValidationError) as exc:
        services.role_grant(actor=world.principal_a, user=world.teacher_a, role=Role.HEAD_TEACHER,
                            scope_obj=world.class_a31)
    assert "已有班主任" in str(exc.value)


# ---------------------------------------------------------------- every tier refused outside its scope
def test_principal_refused_outside_own_school(world):
    p = world.principal_a
    for role, obj in ((Role.TEACHER, world.school_b), (Role.HEAD_TEACHER, world.class_b31),
                      (Role.SCHOOL_ADMIN, world.school_a), (Role.OFFICE_STAFF, world.area),
                      (Role.VILLAGE_CADRE, world.v1), (Role.SUBDISTRICT_STAFF, world.sub1)):
        assert not access.grant_scope_ok(p, role, obj)
        with pytest.raises(PermissionDenied):
            services.staff_create(actor=p, real_name="越权", phone="13800000009", school=world.school_a,
                                  roles=[(role, obj)])
    for target in (world.teacher_b, world.principal_b, world.office, world.subdistrict, world.village,
                   world.sysadmin, world.principal_a):
        with pytest.raises(PermissionDenied):
            services.account_reset_password(actor=p, user=target)
        with pytest.raises(PermissionDenied):
            services.account_end(actor=p, user=target, reason="越权")
    with pytest.raises(PermissionDenied):
        services.role_end(actor=p, assignment=RoleAssignment.objects.get(user=world.teacher_b))
    with pytest.raises(PermissionDenied):
        services.role_grant(actor=p, user=world.teacher_b, role=Role.TEACHER, scope_obj=world.school_a)
    assert not StaffProfile.objects.filter(user__phone="13800000009").exists()


def test_principal_cannot_touch_a_colleague_who_also_holds_a_role_elsewhere(world):
    f.RoleAssignmentFactory(user=world.teacher_a, role=Role.TEACHER, school=world.school_b)
    with pytest.raises(PermissionDenied):
        services.account_reset_password(actor=world.principal_a, user=world.teacher_a)
    services.account_reset_password(actor=world.office, user=world.teacher_a)


def test_office_manages_school_admins_and_area_accounts_of_its_area_only(world):
    o = world.office
    services.role_grant(actor=o, user=world.principal_b, role=Role.SCHOOL_ADMIN, scope_obj=world.school_a)
    user, _ = services.staff_create(actor=o, real_name="村干部", phone="13800000011",
                                    roles=[(Role.VILLAGE_CADRE, world.v1b)])
    assert user.role_assignments.get().village == world.v1b
    services.account_reset_password(actor=o, user=world.principal_a)
    services.account_reset_password(actor=o, user=world.subdistrict)
    services.account_end(actor=o, user=world.village, reason="换届")
    for role, obj in ((Role.SCHOOL_ADMIN, world.school_d), (Role.VILLAGE_CADRE, world.v_other),
                      (Role.SUBDISTRICT_STAFF, world.sub_other), (Role.OFFICE_STAFF, world.area2),
                      (Role.SYSADMIN, world.area)):
        assert not access.grant_scope_ok(o, role, obj)
        with pytest.raises(PermissionDenied):
            services.role_grant(actor=o, user=user, role=role, scope_obj=obj)
    d_admin = f.UserFactory(username="principal_d")
    f.RoleAssignmentFactory(user=d_admin, role=Role.SCHOOL_ADMIN, school=world.school_d)
    with pytest.raises(PermissionDenied):
        services.account_reset_password(actor=o, user=d_admin)
    with pytest.raises(PermissionDenied):
        services.account_reset_password(actor=o, user=world.sysadmin)


@pytest.mark.parametrize("persona", ["teacher_a", "head_a", "gradelead_a", "leader", "subdistrict", "village",
                                     "sysadmin", "nobody"])
def test_tiers_without_account_management_are_refused_everything(world, persona):
    actor = getattr(world, persona)
    assert not access.can(actor, "staff.manage")
    for role, obj in ((Role.TEACHER, world.school_a), (Role.HEAD_TEACHER, world.class_a32),
                      (Role.GRADE_LEADER, world.grade_a4), (Role.VILLAGE_CADRE, world.v1),
                      (Role.SUBDISTRICT_STAFF, world.sub1), (Role.SCHOOL_ADMIN, world.school_a)):
        assert not access.grant_scope_ok(actor, role, obj)
    with pytest.raises(PermissionDenied):
        services.role_grant(actor=actor, user=world.teacher_b, role=Role.TEACHER, scope_obj=world.school_a)
    target = world.teacher_b if persona != "teacher_b" else world.teacher_a
    with pytest.raises(PermissionDenied):
        services.account_reset_password(actor=actor, user=target)
    with pytest.raises(PermissionDenied):
        services.account_end(actor=actor, user=target, reason="越权")


def test_one_time_passwords_pass_the_password_rules_and_differ():
    from django.contrib.auth.password_validation import validate_password

    from staff.passwords import one_time_password

    seen = {one_time_password() for _ in range(200)}
    assert len(seen) == 200
    for password in list(seen)[:50]:
        validate_password(password)
        assert not set(password) & set("0O1lI")


def test_username_setting_pinyin_gives_unique_names(world, settings):
    settings.KONGCHUO_STAFF_USERNAME = "pinyin"
    a, _ = services.staff_create(actor=world.principal_a, real_name="张伟", phone="13800000021",
                                 roles=[(Role.TEACHER, world.school_a)], school=world.school_a)
    b, _ = services.staff_create(actor=world.principal_a, real_name="张伟", phone="13800000022",
                                 roles=[(Role.TEACHER, world.school_a)], school=world.school_a)
    assert (a.username, b.username) == ("zhangwei", "zhangwei2")


def test_one_time_passwords_use_the_cheap_hasher_and_are_rehashed_at_first_login(world, settings, client):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher",
                                 "staff.hashers.OneTimePasswordHasher"]
    user, password = _new_teacher(world)
    user.refresh_from_db()
    assert user.password.startswith("pbkdf2_otp$10000$") and user.check_password(password)
    response = client.post("/accounts/login/", {"username": user.username, "password": password})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("pbkdf2_sha256$")  # Django upgraded it on the successful login
