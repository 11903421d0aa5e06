"""The one place that turns a user into scoped querysets and permissions (DESIGN.md "Scope in one place").

Every view fetches through `Model.objects.visible_to(user)` (which calls `filter_visible`) or
through a scoped parent; every write asks `can(user, action, obj)`. Nothing else in the code base
branches on role. An object outside the user's scope must answer 404, so views use
`get_visible_or_404`.

Rules (SPEC §1):
  科任教师        students assigned to them (包保 CareAssignment) in their school
  班主任          students of their class
  校领导          students of their grade(s)
  校长/学校管理员   students of their school
  教育办 / 领导小组  every student of the area (领导小组 read-only)
  办事处          residents of its villages and students of the schools located in it
  村/社区干部      residents of the village
  系统管理员       configuration and accounts only — no student data unless given another role
"""
from dataclasses import dataclass, field
from functools import reduce
import operator

from django.db.models import Q
from django.http import Http404
from django.urls import NoReverseMatch, reverse

from kongchuo.models import Role, RoleAssignment

NOTHING = Q(pk__in=[])

SCHOOL_ROLES = {Role.TEACHER, Role.HEAD_TEACHER, Role.GRADE_LEADER, Role.SCHOOL_ADMIN}
AREA_ROLES = {Role.OFFICE_STAFF, Role.LEADERSHIP}
# Roles whose holders may see full ID and phone numbers on request (each view is logged).
UNMASK_ROLES = {Role.SCHOOL_ADMIN, Role.OFFICE_STAFF, Role.SUBDISTRICT_STAFF, Role.HEAD_TEACHER}

# action → roles allowed to perform it (object must also be inside that role's scope).
ACTIONS = {
    "student.view": SCHOOL_ROLES | AREA_ROLES | {Role.SUBDISTRICT_STAFF, Role.VILLAGE_CADRE},
    "student.edit": {Role.HEAD_TEACHER, Role.GRADE_LEADER, Role.SCHOOL_ADMIN},
    "student.import": {Role.SCHOOL_ADMIN},
    "student.status_change": {Role.SCHOOL_ADMIN},
    "student.assign_care": {Role.SCHOOL_ADMIN, Role.GRADE_LEADER, Role.HEAD_TEACHER},
    "student.unmask": UNMASK_ROLES,
    # registry issue: create students (新生/转入), vulnerability flags, 包保 tiers.
    "student.create": {Role.SCHOOL_ADMIN},
    "student.flag": {Role.HEAD_TEACHER, Role.GRADE_LEADER, Role.SCHOOL_ADMIN, Role.OFFICE_STAFF, Role.VILLAGE_CADRE},
    "school.assign_liaison": {Role.OFFICE_STAFF},
    "school.be_liaison": {Role.OFFICE_STAFF},  # who may be named 教育办包校领导 (school inside their area)
    "school.teach": SCHOOL_ROLES,  # who may be named 包保 teacher of a student of that school
    # 证明材料 of 学籍异动 (medical proofs…): not for 科任教师 or 村干部.
    "student.documents": {Role.HEAD_TEACHER, Role.GRADE_LEADER, Role.SCHOOL_ADMIN, Role.OFFICE_STAFF,
                          Role.SUBDISTRICT_STAFF},
    "absence.record": {Role.HEAD_TEACHER, Role.SCHOOL_ADMIN},
    "discovery.term_check": {Role.SCHOOL_ADMIN},
    "population.import": {Role.VILLAGE_CADRE, Role.SUBDISTRICT_STAFF, Role.OFFICE_STAFF},
    "case.view": SCHOOL_ROLES | AREA_ROLES | {Role.SUBDISTRICT_STAFF, Role.VILLAGE_CADRE},
    "case.open": {Role.TEACHER, Role.HEAD_TEACHER, Role.GRADE_LEADER, Role.SCHOOL_ADMIN, Role.OFFICE_STAFF,
                  Role.VILLAGE_CADRE, Role.SUBDISTRICT_STAFF},
    "case.act": {Role.TEACHER, Role.HEAD_TEACHER, Role.GRADE_LEADER, Role.SCHOOL_ADMIN, Role.OFFICE_STAFF,
                 Role.SUBDISTRICT_STAFF, Role.VILLAGE_CADRE},
    "case.visit": {Role.TEACHER, Role.HEAD_TEACHER, Role.GRADE_LEADER, Role.SCHOOL_ADMIN, Role.OFFICE_STAFF,
                   Role.SUBDISTRICT_STAFF, Role.VILLAGE_CADRE},
    "case.review_close": {Role.OFFICE_STAFF},
    "notice.issue": {Role.SCHOOL_ADMIN},
    "notice.view": {Role.HEAD_TEACHER, Role.GRADE_LEADER, Role.SCHOOL_ADMIN} | AREA_ROLES | {Role.SUBDISTRICT_STAFF},
    "report.view": {Role.SCHOOL_ADMIN, Role.GRADE_LEADER} | AREA_ROLES | {Role.SUBDISTRICT_STAFF},
    "report.export": {Role.SCHOOL_ADMIN} | AREA_ROLES | {Role.SUBDISTRICT_STAFF},
    "org.view": SCHOOL_ROLES | AREA_ROLES | {Role.SUBDISTRICT_STAFF, Role.VILLAGE_CADRE, Role.SYSADMIN},
    "admin.manage": {Role.SYSADMIN},
    "audit.view": {Role.SYSADMIN, Role.OFFICE_STAFF},
}


@dataclass
class Scope:
    assignments: list = field(default_factory=list)

    @property
    def roles(self):
        return {a.role for a in self.assignments}

    def of_roles(self, roles):
        return [a for a in self.assignments if a.role in roles]


def get_scope(user) -> Scope:
    """The user's active role assignments, loaded once per request (cached on the user object)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Scope()
    cached = getattr(user, "_kc_scope", None)
    if cached is None:
        assignments = list(
            RoleAssignment.objects.filter(user=user, is_active=True).select_related(
                "school", "grade__school", "school_class__grade__school", "village__subdistrict", "subdistrict", "area"
            )
        )
        cached = Scope(assignments=assignments)
        user._kc_scope = cached
    return cached


def roles_of(user):
    return get_scope(user).roles


def has_role(user, *roles):
    return bool(roles_of(user) & set(roles))


def role_labels(user):
    return [f"{a.get_role_display()}·{a.scope_object}" for a in get_scope(user).assignments]


# ---------------------------------------------------------------- per-assignment rules
def _school_id_of(a):
    if a.role in (Role.TEACHER, Role.SCHOOL_ADMIN):
        return a.school_id
    if a.role == Role.GRADE_LEADER:
        return a.grade.school_id
    if a.role == Role.HEAD_TEACHER:
        return a.school_class.grade.school_id
    return None


def _student_q_for(a, user, p=""):
    from students.models import CareAssignment

    if a.role == Role.TEACHER:
        mine = CareAssignment.objects.filter(teacher=user, is_active=True, student__school_id=a.school_id)
        return Q(**{f"{p}pk__in": mine.values("student_id")})
    if a.role == Role.HEAD_TEACHER:
        return Q(**{f"{p}school_class_id": a.school_class_id})
    if a.role == Role.GRADE_LEADER:
        return Q(**{f"{p}grade_id": a.grade_id})
    if a.role == Role.SCHOOL_ADMIN:
        return Q(**{f"{p}school_id": a.school_id})
    if a.role in AREA_ROLES:
        return Q(**{f"{p}school__area_id": a.area_id}) | Q(**{f"{p}village__subdistrict__area_id": a.area_id})
    if a.role == Role.SUBDISTRICT_STAFF:
        return Q(**{f"{p}village__subdistrict_id": a.subdistrict_id}) | Q(**{f"{p}school__subdistrict_id": a.subdistrict_id})
    if a.role == Role.VILLAGE_CADRE:
        return Q(**{f"{p}village_id": a.village_id})
    return NOTHING


def _school_q_for(a, user, p=""):
    school_id = _school_id_of(a)
    if school_id is not None:
        return Q(**{f"{p}pk": school_id})
    if a.role in AREA_ROLES or a.role == Role.SYSADMIN:
        return Q(**{f"{p}area_id": a.area_id})
    if a.role == Role.SUBDISTRICT_STAFF:
        return Q(**{f"{p}subdistrict_id": a.subdistrict_id})
    return NOTHING


def _case_q_for(a, user, p=""):
    from cases.models import Case

    student_q = _student_q_for(a, user, p + "student__")
    if a.role == Role.SUBDISTRICT_STAFF:
        # 办事处 acts on cases escalated to it (管理区 制约措施), for its residents and schools.
        return student_q & Q(**{f"{p}stage": Case.Stage.SUBDISTRICT})
    return student_q


def _user_q_for(a, user, p=""):
    """Colleagues a user may pick (e.g. as 包保 teacher): accounts holding a role in the same school(s)."""
    school_q = _school_q_for(a, user, "")
    from kongchuo.models import School

    schools = School.objects.filter(school_q).values("pk")
    q = (Q(**{f"{p}role_assignments__school_id__in": schools})
         | Q(**{f"{p}role_assignments__school_class__grade__school_id__in": schools})
         | Q(**{f"{p}role_assignments__grade__school_id__in": schools}))
    if a.role in AREA_ROLES:
        # 教育办 colleagues too (e.g. naming an 教育办 leader who 包 a school).
        q |= Q(**{f"{p}role_assignments__area_id": a.area_id})
    return q


def _via(path, rule):
    """A rule for a model whose scope is its parent's (e.g. FamilyMember → student)."""
    return lambda a, user, p="": rule(a, user, f"{p}{path}__")


# model label → rule(assignment, user, prefix) -> Q. Apps add their models here, not elsewhere.
RULES = {
    "students.Student": _student_q_for,
    "students.FamilyMember": _via("student", _student_q_for),
    "students.CareAssignment": _via("student", _student_q_for),
    "kongchuo.School": _school_q_for,
    "kongchuo.Grade": _via("school", _school_q_for),
    "kongchuo.SchoolClass": _via("grade__school", _school_q_for),
    "cases.Case": _case_q_for,
    "kongchuo.User": _user_q_for,
    # registry issue
    "students.VulnerabilityFlag": _via("student", _student_q_for),
    "students.StatusChange": _via("student", _student_q_for),
    "students.TransferConfirmation": _via("status_change__student", _student_q_for),
    "students.StatusChangeDocument": _via("status_change__student", _student_q_for),
    "students.Enrolment": _via("student", _student_q_for),
    "students.OfficeSchoolLiaison": _via("school", _school_q_for),
}


def scope_q(model, user, roles=None, prefix=""):
    """Q limiting `model` to what `user` may see (optionally only through some of their roles)."""
    label = model._meta.label
    rule = RULES.get(label)
    if rule is None:
        raise LookupError(f"kongchuo.access has no scope rule for {label}")
    assignments = get_scope(user).assignments
    if roles is not None:
        assignments = [a for a in assignments if a.role in roles]
    parts = [rule(a, user, prefix) for a in assignments]
    parts = [q for q in parts if q is not NOTHING]
    if not parts:
        return NOTHING
    return reduce(operator.or_, parts)


def filter_visible(queryset, user, roles=None):
    q = scope_q(queryset.model, user, roles)
    if q is NOTHING:
        return queryset.none()
    qs = queryset.filter(q)
    return qs.distinct() if queryset.model._meta.label == "kongchuo.User" else qs


def visible(model_or_qs, user):
    qs = model_or_qs if hasattr(model_or_qs, "model") and hasattr(model_or_qs, "filter") else model_or_qs._default_manager.all()
    return filter_visible(qs, user)


def get_visible_or_404(model_or_qs, user, **lookup):
    """Fetch one object inside the user's scope; anything else (missing or a neighbour's) is 404."""
    qs = visible(model_or_qs, user)
    try:
        return qs.get(**lookup)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise Http404("未找到")


# ---------------------------------------------------------------- permissions
def can(user, action, obj=None):
    """May `user` perform `action` (on `obj`, which must be inside the scope of a role that allows it)?"""
    allowed = ACTIONS.get(action)
    if allowed is None:
        raise LookupError(f"unknown action {action}")
    if not getattr(user, "is_authenticated", False):
        return False
    roles = roles_of(user) & allowed
    if not roles:
        return False
    if obj is None:
        return True
    model = type(obj)
    q = scope_q(model, user, roles=roles)
    if q is NOTHING:
        return False
    return model._default_manager.filter(q).filter(pk=obj.pk).exists()


def can_unmask(user, obj=None):
    return can(user, "student.unmask", obj)


def filter_can(queryset, user, action):
    """The objects of `queryset` on which `user` may perform `action` (one query for a bulk action)."""
    allowed = ACTIONS.get(action)
    if allowed is None:
        raise LookupError(f"unknown action {action}")
    roles = roles_of(user) & allowed
    if not roles:
        return queryset.none()
    return filter_visible(queryset, user, roles=roles)


def responsible_holders(*, school_class_ids=(), grade_ids=(), school_ids=()):
    """The 包保 chain above the teacher (SPEC §1, seed 四(五)1): 班主任 of classes, 校领导 of grades and
    校长/学校管理员 of schools, as active role assignments with their user (one query).
    Returns {role: [assignment, …]} for those three roles."""
    parts = []
    if any(school_class_ids):
        parts.append(Q(role=Role.HEAD_TEACHER, school_class_id__in=[i for i in school_class_ids if i]))
    if any(grade_ids):
        parts.append(Q(role=Role.GRADE_LEADER, grade_id__in=[i for i in grade_ids if i]))
    if any(school_ids):
        parts.append(Q(role=Role.SCHOOL_ADMIN, school_id__in=[i for i in school_ids if i]))
    result = {Role.HEAD_TEACHER: [], Role.GRADE_LEADER: [], Role.SCHOOL_ADMIN: []}
    if not parts:
        return result
    q = reduce(operator.or_, parts)
    for a in RoleAssignment.objects.filter(q, is_active=True, user__is_active=True).select_related("user").order_by("pk"):
        result[a.role].append(a)
    return result


# ---------------------------------------------------------------- navigation
# (label, url name, icon, action). Entries whose URL does not exist yet are skipped.
NAVIGATION = [
    ("我的工作台", "workbench", "house", None),
    ("学生", "students:list", "people", "student.view"),
    ("个案", "cases:list", "folder2-open", "case.view"),
    ("通知书", "notices:list", "file-earmark-text", "notice.view"),
    ("报表", "reports:dashboard", "bar-chart", "report.view"),
    ("组织机构", "org:schools", "diagram-3", "org.view"),
    ("访问日志", "audit:list", "shield-lock", "audit.view"),
    ("系统管理", "admin:index", "gear", "admin.manage"),
]


def navigation_for(user):
    items = []
    for label, url_name, icon, action in NAVIGATION:
        if action is not None and not can(user, action):
            continue
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        items.append({"label": label, "url": url, "icon": icon, "url_name": url_name})
    return items
