"""Reads of the staff screens; every one starts from kongchuo.access (managed_schools / can_manage_account)."""
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q
from django.http import Http404
from django.utils import timezone

from kongchuo import access
from kongchuo.models import AccessLog, Grade, Role, RoleAssignment, SchoolClass, SchoolYear, SubDistrict, Village
from staff.models import StaffProfile

User = get_user_model()
AREA_ROLES = (Role.OFFICE_STAFF, Role.LEADERSHIP, Role.SUBDISTRICT_STAFF, Role.VILLAGE_CADRE)


def _school_q(school_ids, active_only=True):
    ra = Q(role_assignments__school_id__in=school_ids) | Q(role_assignments__grade__school_id__in=school_ids) | Q(
        role_assignments__school_class__grade__school_id__in=school_ids)
    if active_only:
        ra &= Q(role_assignments__is_active=True)
    return ra | Q(staff_profile__school_id__in=school_ids)


def _with_roles(qs):
    active = RoleAssignment.objects.filter(is_active=True).select_related(
        "school", "grade__school", "school_class__grade", "subdistrict", "village", "area").order_by("role", "pk")
    return qs.prefetch_related(Prefetch("role_assignments", queryset=active, to_attr="active_roles")).select_related(
        "staff_profile")


def school_accounts(user, school):
    """Accounts of a school the user manages (active ones first, then the ended ones)."""
    if not access.managed_schools(user).filter(pk=school.pk).exists():
        raise Http404("未找到")
    ids = User.objects.filter(_school_q([school.pk])).values("pk")
    return _with_roles(User.objects.filter(pk__in=ids, is_superuser=False).order_by("-is_active", "real_name", "pk"))


def area_accounts(user, area):
    """教育办 view: the area's 办事处, 村 and 教育办 accounts."""
    if not access.managed_areas(user).filter(pk=area.pk).exists():
        raise Http404("未找到")
    q = (Q(role_assignments__area_id=area.pk) | Q(role_assignments__subdistrict__area_id=area.pk)
         | Q(role_assignments__village__subdistrict__area_id=area.pk))
    ids = User.objects.filter(q, role_assignments__role__in=AREA_ROLES).values("pk")
    ended = User.objects.filter(staff_profile__area_id=area.pk, staff_profile__school__isnull=True).values("pk")
    return _with_roles(User.objects.filter(Q(pk__in=ids) | Q(pk__in=ended), is_superuser=False)
                       .order_by("-is_active", "real_name", "pk"))


def managed_account_or_404(user, pk):
    target = User.objects.filter(pk=pk).select_related("staff_profile__school", "staff_profile__area").first() \
        if str(pk).isdigit() else None
    if target is None:
        raise Http404("未找到")
    try:
        profile = target.staff_profile
    except StaffProfile.DoesNotExist:
        profile = None
    if not access.can_manage_account(user, target, home_school=profile.school if profile else None,
                                     home_area=profile.area if profile else None):
        raise Http404("未找到")
    return target


def login_history(target, limit=50):
    return AccessLog.objects.filter(Q(user=target) | Q(username=target.username, user__isnull=True),
                                    action__in=[AccessLog.Action.LOGIN, AccessLog.Action.LOGOUT,
                                                AccessLog.Action.LOGIN_FAILED]).order_by("-at")[:limit]


def dormant_cutoff(now=None):
    return (now or timezone.now()) - timedelta(days=getattr(settings, "KONGCHUO_DORMANT_DAYS", 150))


def dormant_accounts(user, now=None):
    """Active accounts the user manages not used for a term (等保: no dormant accounts): last login (or, never
    logged in, creation) before the cutoff."""
    cutoff = dormant_cutoff(now)
    schools = list(access.managed_schools(user).values_list("pk", flat=True))
    areas = list(access.managed_areas(user).values_list("pk", flat=True))
    q = _school_q(schools)
    if areas:
        q |= (Q(role_assignments__area_id__in=areas) | Q(role_assignments__subdistrict__area_id__in=areas)
              | Q(role_assignments__village__subdistrict__area_id__in=areas)) & Q(role_assignments__is_active=True)
    ids = User.objects.filter(q).values("pk")
    stale = Q(last_login__lt=cutoff) | Q(last_login__isnull=True, date_joined__lt=cutoff)
    candidates = _with_roles(User.objects.filter(stale, pk__in=ids, is_active=True, is_superuser=False)
                             .order_by("last_login", "pk"))
    result = []
    for u in candidates:
        profile = StaffProfile.objects.filter(user=u).select_related("school", "area").first()
        if access.can_manage_account(user, u, home_school=profile.school if profile else None,
                                     home_area=profile.area if profile else None):
            result.append(u)
    return result


def grant_options(user, school=None):
    """[(value, label)] of the roles `user` may grant: of `school` (current school year's classes and grades) and,
    for the 教育办, the area's school admins, 办事处, 村 and 教育办 roles. value = "role:pk"."""
    options = []
    year = SchoolYear.objects.filter(is_current=True).first()
    if school is not None:
        for role in (Role.TEACHER, Role.SCHOOL_ADMIN):
            if access.grant_scope_ok(user, role, school):
                options.append((f"{role}:{school.pk}", f"{role.label}（{school.name}）"))
        if year is not None:
            for grade in Grade.objects.filter(school=school, school_year=year).select_related("school"):
                if access.grant_scope_ok(user, Role.GRADE_LEADER, grade):
                    options.append((f"{Role.GRADE_LEADER}:{grade.pk}", f"{Role.GRADE_LEADER.label}（{grade.name}）"))
            for c in SchoolClass.objects.filter(grade__school=school, grade__school_year=year).select_related(
                    "grade__school"):
                if access.grant_scope_ok(user, Role.HEAD_TEACHER, c):
                    options.append((f"{Role.HEAD_TEACHER}:{c.pk}", f"{Role.HEAD_TEACHER.label}（{c}）"))
    for area in access.managed_areas(user):
        for role in (Role.OFFICE_STAFF, Role.LEADERSHIP):
            if access.grant_scope_ok(user, role, area):
                options.append((f"{role}:{area.pk}", f"{role.label}（{area}）"))
        for sd in SubDistrict.objects.filter(area=area):
            options.append((f"{Role.SUBDISTRICT_STAFF}:{sd.pk}", f"{Role.SUBDISTRICT_STAFF.label}（{sd}）"))
        for v in Village.objects.filter(subdistrict__area=area).select_related("subdistrict"):
            options.append((f"{Role.VILLAGE_CADRE}:{v.pk}", f"{Role.VILLAGE_CADRE.label}（{v}）"))
    return options


SCOPE_MODELS = {Role.TEACHER: "School", Role.SCHOOL_ADMIN: "School", Role.GRADE_LEADER: "Grade",
                Role.HEAD_TEACHER: "SchoolClass", Role.SUBDISTRICT_STAFF: "SubDistrict", Role.VILLAGE_CADRE: "Village",
                Role.OFFICE_STAFF: "Area", Role.LEADERSHIP: "Area"}


def parse_option(value):
    """'teacher:5' → (Role.TEACHER, School 5) or raise ValueError. The caller's service checks the scope."""
    from django.apps import apps

    role_text, _, pk = str(value or "").partition(":")
    try:
        role = Role(role_text)
    except ValueError:
        raise ValueError("角色无效") from None
    model_name = SCOPE_MODELS.get(role)
    if model_name is None or not pk.isdigit():
        raise ValueError("角色无效")
    obj = apps.get_model("kongchuo", model_name).objects.filter(pk=int(pk)).first()
    if obj is None:
        raise ValueError("角色的范围不存在")
    return role, obj


def helpers_for(username):
    """Whom to ask when the password is forgotten: [(title, name, phone)] — the school admins of a teacher's
    school, the 教育办 for a school admin or an area account. Unknown usernames get the 教育办 too, so the answer
    does not tell whether an account exists; nothing about the account itself is shown."""
    username = (username or "").strip()[:150]
    target = None
    if username:
        target = (User.objects.filter(username=username, is_active=True).first()
                  or User.objects.filter(phone=username, is_active=True).order_by("pk").first())
    school_ids, area_ids = set(), set()
    if target is not None:
        for a in RoleAssignment.objects.filter(user=target, is_active=True).select_related(
                "grade", "school_class__grade", "subdistrict", "village__subdistrict"):
            if a.role in (Role.TEACHER, Role.HEAD_TEACHER, Role.GRADE_LEADER):
                school_ids.add(a.school_id or (a.grade.school_id if a.grade_id else a.school_class.grade.school_id))
            elif a.role == Role.SCHOOL_ADMIN:
                area_ids.add(a.school.area_id)
            elif a.area_id:
                area_ids.add(a.area_id)
            elif a.subdistrict_id:
                area_ids.add(a.subdistrict.area_id)
            elif a.village_id:
                area_ids.add(a.village.subdistrict.area_id)
    helpers = []
    if school_ids:
        for a in RoleAssignment.objects.filter(role=Role.SCHOOL_ADMIN, is_active=True, user__is_active=True,
                                               school_id__in=school_ids).exclude(user=target).select_related(
                "user", "school").order_by("school__code", "pk"):
            helpers.append(("本校校长/学校管理员", a.user.display_name, a.user.phone or a.school.phone))
    if not helpers:
        office = RoleAssignment.objects.filter(role=Role.OFFICE_STAFF, is_active=True, user__is_active=True)
        if area_ids:
            office = office.filter(area_id__in=area_ids)
        for a in office.exclude(user=target).select_related("user").order_by("pk")[:3]:
            helpers.append(("教育办", a.user.display_name, a.user.phone))
    return helpers
