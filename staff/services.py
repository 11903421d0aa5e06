"""Every write of the staff app (keyword-only, atomic, audited). Scope is asked of kongchuo.access only:
`grant_scope_ok` for each role granted or ended, `can_manage_account` for resetting or ending an account.

`actor=None` means the command line (python manage.py import_staff), run by whoever holds the server.
History (the audit trail): User, RoleAssignment and StaffProfile keep django-simple-history rows with the acting
user and a change reason (新建账号 / 授予角色 / 结束角色 / 重置密码 / 账号停用); imports also go to the access log.
"""
import re

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from kongchuo import access
from kongchuo.audit import mask_phone
from kongchuo.models import Role, RoleAssignment
from kongchuo.models.accounts import ROLE_SCOPE_FIELD
from staff.models import StaffProfile
from staff.passwords import one_time_password

User = get_user_model()
MOBILE = re.compile(r"^1[3-9]\d{9}$")


def username_mode():
    """settings.KONGCHUO_STAFF_USERNAME: "phone" (default, the 手机号) or "pinyin" (zhangsan, zhangsan2…)."""
    return getattr(settings, "KONGCHUO_STAFF_USERNAME", "phone")


def username_for(*, real_name, phone, taken=()):
    """The predictable, unique username of a new account, or raise ValidationError naming the field."""
    if username_mode() == "pinyin":
        from pypinyin import lazy_pinyin

        base = "".join(lazy_pinyin(real_name)).lower()
        base = re.sub(r"[^a-z0-9]", "", base) or "user"
        candidate, n = base, 1
        while candidate in taken or User.objects.filter(username=candidate).exists():
            n += 1
            candidate = f"{base}{n}"
        return candidate
    if not phone:
        raise ValidationError({"phone": "手机号不能为空（用户名就是手机号）。"})
    if phone in taken or User.objects.filter(username=phone).exists():
        raise ValidationError({"phone": f"用户名 {phone} 已被其他账号使用。"})
    return phone


def profile_of(user):
    """The account's staff profile (created empty for accounts made elsewhere, e.g. in the Django admin)."""
    profile, _ = StaffProfile.objects.select_related("school", "area").get_or_create(user=user)
    return profile


def _stamp(instance, actor, reason):
    if getattr(actor, "pk", None):
        instance._history_user = actor
    instance._change_reason = reason[:100]
    return instance


def _issue_password(user, actor, now, reason):
    from staff.hashers import make_one_time_hash

    password = one_time_password(user)
    user.password = make_one_time_hash(password)
    _stamp(user, actor, reason).save()
    profile = profile_of(user)
    profile.must_change_password = True
    profile.password_issued_at, profile.password_issued_by = now, actor if getattr(actor, "pk", None) else None
    _stamp(profile, actor, reason).save()
    return password


def _check_grant(actor, role, scope_obj):
    if actor is None:
        return
    if not access.grant_scope_ok(actor, role, scope_obj):
        raise PermissionDenied(f"您不能授予或结束“{Role(role).label}（{scope_obj}）”：超出您的管理范围。")


def _check_manage(actor, user):
    if actor is None:
        return
    profile = profile_of(user)
    if not access.can_manage_account(actor, user, home_school=profile.school, home_area=profile.area):
        raise PermissionDenied(f"{user.display_name} 的账号不在您的管理范围内。")


def check_phone(phone):
    phone = (phone or "").strip()
    if not MOBILE.match(phone):
        raise ValidationError({"phone": "手机号应为 11 位数字（例如 13812345678）。"})
    return phone


def _role_kwargs(role, scope_obj):
    """{"school": obj} / {"school_class": obj} …: the RoleAssignment field the role is bound to."""
    return {ROLE_SCOPE_FIELD[Role(role)]: scope_obj}


def _grant(*, actor, user, role, scope_obj, note, reason):
    """Grant one role (no permission check here). Returns (assignment, created)."""
    kwargs = _role_kwargs(role, scope_obj)
    existing = RoleAssignment.objects.filter(user=user, role=role, is_active=True, **kwargs).first()
    if existing is not None:
        return existing, False
    if role == Role.HEAD_TEACHER:
        other = (RoleAssignment.objects.filter(role=role, is_active=True, school_class=scope_obj,
                                               user__is_active=True).exclude(user=user).select_related("user").first())
        if other is not None:
            raise ValidationError({"role": f"{scope_obj} 已有班主任 {other.user.display_name}：请先结束其班主任角色。"})
    assignment = RoleAssignment(user=user, role=role, note=note[:200], **kwargs)
    assignment.full_clean()
    _stamp(assignment, actor, reason).save()
    return assignment, True


# ---------------------------------------------------------------- accounts
@transaction.atomic
def staff_create(*, actor, real_name, phone, id_number="", school=None, area=None, post="", roles=()):
    """A new personal account with a one-time password (shown once). `roles`: [(Role, scope object)], each must be
    grantable by `actor` in its scope. Returns (user, one-time password)."""
    real_name = (real_name or "").strip()
    if not real_name:
        raise ValidationError({"real_name": "姓名不能为空。"})
    phone = check_phone(phone)
    roles = list(roles)
    if actor is not None:
        if not roles:
            raise ValidationError({"role": "请至少授予一个角色。"})
        for role, scope_obj in roles:
            _check_grant(actor, role, scope_obj)
    if User.objects.filter(phone=phone, is_active=True).exists():
        raise ValidationError({"phone": f"手机号 {mask_phone(phone)} 已有账号：请在名单中找到该教师，不要重复建号。"})
    id_number = (id_number or "").strip().upper() or None
    if id_number and StaffProfile.objects.filter(id_number=id_number).exists():
        raise ValidationError({"id_number": "该身份证号已有账号：请在名单中找到该教师，不要重复建号。"})
    now = timezone.now()
    user = User(username=username_for(real_name=real_name, phone=phone), real_name=real_name, phone=phone)
    user.set_unusable_password()
    reason = "新建账号"
    _stamp(user, actor, reason).save()
    profile = StaffProfile(user=user, id_number=id_number, school=school,
                           area=area or (school.area if school is not None else None), post=post[:50])
    _stamp(profile, actor, reason).save()
    for role, scope_obj in roles:
        _grant(actor=actor, user=user, role=role, scope_obj=scope_obj, note="新建账号时授予", reason=reason)
    password = _issue_password(user, actor, now, reason)
    return user, password


@transaction.atomic
def role_grant(*, actor, user, role, scope_obj, note=""):
    """Grant `role` on `scope_obj` to an account `actor` manages (both checked by kongchuo.access)."""
    if scope_obj is None:
        raise ValidationError({"scope": "请选择角色的范围（学校、班级、年级、办事处或村/社区）。"})
    _check_grant(actor, role, scope_obj)
    if not user.is_active:
        raise ValidationError({"user": f"{user.display_name} 的账号已停用，不能授予角色。"})
    _check_manage(actor, user)
    assignment, _ = _grant(actor=actor, user=user, role=role, scope_obj=scope_obj,
                           note=note or f"由{getattr(actor, 'display_name', '命令行')}授予", reason="授予角色")
    return assignment


@transaction.atomic
def role_end(*, actor, assignment, reason=""):
    assignment = RoleAssignment.objects.select_for_update().get(pk=assignment.pk)
    _check_grant(actor, assignment.role, assignment.scope_object)
    if not assignment.is_active:
        raise ValidationError("该角色已结束。")
    assignment.is_active = False
    assignment.note = (f"{assignment.note} " if assignment.note else "") + (reason or "结束角色")
    assignment.note = assignment.note[:200]
    _stamp(assignment, actor, "结束角色").save()
    return assignment


@transaction.atomic
def account_reset_password(*, actor, user):
    """A new one-time password for a teacher who forgot theirs (must be changed at next login). Returns it."""
    _check_manage(actor, user)
    if not user.is_active:
        raise ValidationError(f"{user.display_name} 的账号已停用。")
    return _issue_password(user, actor, timezone.now(), "重置密码")


@transaction.atomic
def account_end(*, actor, user, reason):
    """A teacher left: every role ends, the account is disabled (sessions stop at the next request), their 包保
    students show in the 未包保 list at once and their open cases go to the 班主任 (or the next holder)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写停用原因（例如：调离、退休）。"})
    _check_manage(actor, user)
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.is_active:
        raise ValidationError(f"{user.display_name} 的账号已停用。")
    profile = profile_of(user)
    active = list(RoleAssignment.objects.select_for_update().filter(user=user, is_active=True).order_by("pk"))
    if profile.school_id is None and profile.area_id is None:
        # remember where the account belonged, so its managers still find the ended account
        for assignment in active:
            school_id, area_id = access.scope_ids(assignment.role, assignment.scope_object)
            if school_id is not None:
                profile.school_id, profile.area_id = school_id, area_id
                break
            profile.area_id = profile.area_id or area_id
    for assignment in active:
        assignment.is_active = False
        assignment.note = ((f"{assignment.note} " if assignment.note else "") + f"账号停用：{reason}")[:200]
        _stamp(assignment, actor, "账号停用").save()
    user.is_active = False
    _stamp(user, actor, f"账号停用：{reason}").save()
    profile.ended_at, profile.ended_by, profile.end_reason = timezone.now(), actor, reason[:200]
    profile.must_change_password = False
    _stamp(profile, actor, "账号停用").save()
    from cases.services.handover import case_hand_over_from
    from students.services.care import care_end_for_teacher

    students = care_end_for_teacher(actor=actor, teacher=user)
    cases = case_hand_over_from(actor=actor, user=user)
    return {"students": students, "cases": cases}


@transaction.atomic
def account_password_changed(*, user):
    """The holder chose their own password (first login or later): the one-time state ends."""
    profile = StaffProfile.objects.filter(user=user).first()
    if profile is None:
        return
    profile.must_change_password = False
    profile.password_changed_at = timezone.now()
    _stamp(profile, user, "本人修改密码").save()


@transaction.atomic
def staff_update_from_import(*, actor, user, real_name, phone, id_number=None, school=None, post="", roles=()):
    """A re-imported row of an existing account: the file's name, phone, ID number, school and post; the roles it
    lists that the account does not hold yet (the caller, staff.importing, checked scope for each)."""
    for role, scope_obj in roles:
        _check_grant(actor, role, scope_obj)
    changed = []
    if real_name and user.real_name != real_name:
        user.real_name = real_name
        changed.append("姓名")
    if phone and user.phone != phone:
        user.phone = check_phone(phone)
        changed.append("手机号")
    if changed:
        _stamp(user, actor, "名单导入更新：" + "、".join(changed)).save()
    profile = profile_of(user)
    before = (profile.id_number, profile.school_id, profile.post)
    if id_number:
        profile.id_number = id_number
    if school is not None:
        profile.school = school
        profile.area = school.area
    if post:
        profile.post = post[:50]
    if (profile.id_number, profile.school_id, profile.post) != before:
        _stamp(profile, actor, "名单导入更新").save()
    for role, scope_obj in roles:
        _grant(actor=actor, user=user, role=role, scope_obj=scope_obj, note="名单导入授予", reason="名单导入授予角色")
    return user
