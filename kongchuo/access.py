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

# Sensitive documents (medical, disability, family circumstances): 学籍异动证明材料 (诊断证明, 死亡证明, 转学联系函…),
# 缓学/免学 的监护人书面申请 and 医院诊断证明/残疾评定材料. Opened only by the roles that decide on or keep them, for
# children inside that role's scope: 班主任, 校领导, 校长/学校管理员 (keep the school's file), 教育办 (files exemptions,
# oversees), 办事处 and 村/社区干部 (approve 缓学/免学 in the flow). Not 科任教师 (they 包保 a child and see the case,
# not diagnoses), not 领导小组 (read-only figures), not 系统管理员. Other files follow their record: visit and 送教
# photos (taken by the visitor/teacher), 销号 evidence (attendance proof), the signed 送达回证 (notice roles only).
# The convention: outside the scope → 404; inside the scope without the role → 403.
SENSITIVE_DOCUMENT_ROLES = frozenset({Role.HEAD_TEACHER, Role.GRADE_LEADER, Role.SCHOOL_ADMIN, Role.OFFICE_STAFF,
                                      Role.SUBDISTRICT_STAFF, Role.VILLAGE_CADRE})

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
    "school.assign_tiers": {Role.SCHOOL_ADMIN},  # name 班主任 (包班) and 校领导 (包年级) of the school
    # Sensitive documents — one rule for every file about a child's health, disability or family (see
    # SENSITIVE_DOCUMENT_ROLES below): 学籍异动证明材料, 缓学/免学 书面申请 and 医院诊断/残疾评定材料.
    "document.view_sensitive": SENSITIVE_DOCUMENT_ROLES,
    "student.documents": SENSITIVE_DOCUMENT_ROLES,  # the same rule under its earlier name
    "absence.record": {Role.HEAD_TEACHER, Role.SCHOOL_ADMIN},
    "discovery.term_check": {Role.SCHOOL_ADMIN},
    "discovery.arrival": {Role.HEAD_TEACHER, Role.SCHOOL_ADMIN},
    "discovery.nonreturn_edit": {Role.TEACHER, Role.HEAD_TEACHER, Role.GRADE_LEADER, Role.SCHOOL_ADMIN},
    "population.import": {Role.VILLAGE_CADRE, Role.SUBDISTRICT_STAFF, Role.OFFICE_STAFF},
    # importer: 学籍比对 lists and their candidates (核实: 已在外地就读 / 适龄未入学 / 确认失学).
    "population.view": {Role.VILLAGE_CADRE, Role.SUBDISTRICT_STAFF} | AREA_ROLES,
    "population.verify": {Role.VILLAGE_CADRE, Role.SUBDISTRICT_STAFF, Role.OFFICE_STAFF},
    "case.view": SCHOOL_ROLES | AREA_ROLES | {Role.SUBDISTRICT_STAFF, Role.VILLAGE_CADRE},
    "case.open": {Role.TEACHER, Role.HEAD_TEACHER, Role.GRADE_LEADER, Role.SCHOOL_ADMIN, Role.OFFICE_STAFF,
                  Role.VILLAGE_CADRE, Role.SUBDISTRICT_STAFF},
    "case.act": {Role.TEACHER, Role.HEAD_TEACHER, Role.GRADE_LEADER, Role.SCHOOL_ADMIN, Role.OFFICE_STAFF,
                 Role.SUBDISTRICT_STAFF, Role.VILLAGE_CADRE},
    "case.visit": {Role.TEACHER, Role.HEAD_TEACHER, Role.GRADE_LEADER, Role.SCHOOL_ADMIN, Role.OFFICE_STAFF,
                   Role.SUBDISTRICT_STAFF, Role.VILLAGE_CADRE},
    "case.review_close": {Role.OFFICE_STAFF},
    # cases issue: one action per kind of move (cases/transitions.py names them).
    "case.serve_notice": {Role.HEAD_TEACHER, Role.GRADE_LEADER, Role.SCHOOL_ADMIN, Role.OFFICE_STAFF},
    "case.report": {Role.SCHOOL_ADMIN, Role.OFFICE_STAFF},
    "case.escalate": {Role.TEACHER, Role.HEAD_TEACHER, Role.GRADE_LEADER, Role.SCHOOL_ADMIN, Role.OFFICE_STAFF},
    "case.return_down": {Role.GRADE_LEADER, Role.SCHOOL_ADMIN, Role.OFFICE_STAFF, Role.SUBDISTRICT_STAFF},
    "case.record_return": {Role.HEAD_TEACHER, Role.GRADE_LEADER, Role.SCHOOL_ADMIN, Role.OFFICE_STAFF},
    "case.retention": {Role.HEAD_TEACHER, Role.GRADE_LEADER, Role.SCHOOL_ADMIN},
    "case.followup": {Role.TEACHER, Role.HEAD_TEACHER, Role.GRADE_LEADER, Role.SCHOOL_ADMIN},
    "case.request_close": {Role.HEAD_TEACHER, Role.GRADE_LEADER, Role.SCHOOL_ADMIN},
    "case.close_special": {Role.SCHOOL_ADMIN, Role.OFFICE_STAFF},
    "case.reopen": {Role.SCHOOL_ADMIN, Role.OFFICE_STAFF},
    "case.edit": {Role.TEACHER, Role.HEAD_TEACHER, Role.GRADE_LEADER, Role.SCHOOL_ADMIN, Role.OFFICE_STAFF,
                  Role.SUBDISTRICT_STAFF},
    "visit.log": {Role.TEACHER, Role.HEAD_TEACHER, Role.GRADE_LEADER, Role.SCHOOL_ADMIN, Role.OFFICE_STAFF,
                  Role.SUBDISTRICT_STAFF, Role.VILLAGE_CADRE},
    "visit.view": SCHOOL_ROLES | AREA_ROLES | {Role.SUBDISTRICT_STAFF, Role.VILLAGE_CADRE},
    "exemption.view": SCHOOL_ROLES | AREA_ROLES | {Role.SUBDISTRICT_STAFF, Role.VILLAGE_CADRE},
    "exemption.apply": {Role.HEAD_TEACHER, Role.GRADE_LEADER, Role.SCHOOL_ADMIN, Role.VILLAGE_CADRE},
    "exemption.approve_village": {Role.VILLAGE_CADRE},
    "exemption.approve_subdistrict": {Role.SUBDISTRICT_STAFF},
    "exemption.file": {Role.OFFICE_STAFF},
    "homeschool.view": SCHOOL_ROLES | AREA_ROLES | {Role.SUBDISTRICT_STAFF, Role.VILLAGE_CADRE},
    "homeschool.plan": {Role.HEAD_TEACHER, Role.GRADE_LEADER, Role.SCHOOL_ADMIN},
    "homeschool.log": {Role.TEACHER, Role.HEAD_TEACHER, Role.GRADE_LEADER, Role.SCHOOL_ADMIN},
    "assistance.view": SCHOOL_ROLES | AREA_ROLES | {Role.SUBDISTRICT_STAFF, Role.VILLAGE_CADRE},
    "assistance.record": {Role.HEAD_TEACHER, Role.GRADE_LEADER, Role.SCHOOL_ADMIN, Role.OFFICE_STAFF,
                          Role.SUBDISTRICT_STAFF, Role.VILLAGE_CADRE},
    "inbox.view": set(Role.values),
    "notice.issue": {Role.SCHOOL_ADMIN},
    "notice.view": {Role.HEAD_TEACHER, Role.GRADE_LEADER, Role.SCHOOL_ADMIN} | AREA_ROLES | {Role.SUBDISTRICT_STAFF},
    # notices issue: record 送达 (the deliverer is often the 班主任), cancel, print/download, edit the wording.
    "notice.serve": {Role.HEAD_TEACHER, Role.GRADE_LEADER, Role.SCHOOL_ADMIN},
    "notice.cancel": {Role.SCHOOL_ADMIN},
    "notice.print": {Role.HEAD_TEACHER, Role.GRADE_LEADER, Role.SCHOOL_ADMIN} | AREA_ROLES | {Role.SUBDISTRICT_STAFF},
    "notice.template_edit": {Role.OFFICE_STAFF},
    "report.view": {Role.SCHOOL_ADMIN, Role.GRADE_LEADER} | AREA_ROLES | {Role.SUBDISTRICT_STAFF},
    "report.export": {Role.SCHOOL_ADMIN} | AREA_ROLES | {Role.SUBDISTRICT_STAFF},
    "org.view": SCHOOL_ROLES | AREA_ROLES | {Role.SUBDISTRICT_STAFF, Role.VILLAGE_CADRE, Role.SYSADMIN},
    "admin.manage": {Role.SYSADMIN},
    "audit.view": {Role.SYSADMIN, Role.OFFICE_STAFF},
    # go-live (staff app): manage the accounts of one's own school / area (grant_scope_ok decides each role).
    "staff.manage": {Role.SCHOOL_ADMIN, Role.OFFICE_STAFF},
    "staff.import": {Role.SCHOOL_ADMIN, Role.OFFICE_STAFF},
    "setup.view": {Role.SYSADMIN, Role.OFFICE_STAFF},
    "org.import": {Role.SYSADMIN, Role.OFFICE_STAFF},  # 学校名录 / 村（社区）名录 of their own area
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
    # Area and 办事处 scopes as id subqueries, not joins: the planner then keeps using the search indexes at 1M
    # students (registry bench: 曾 134 → 45 ms, zxy 79 → 26 ms for an area-wide user). Same rows either way.
    if a.role in AREA_ROLES:
        from kongchuo.models import School, Village

        return (Q(**{f"{p}school_id__in": School.objects.filter(area_id=a.area_id).values("pk")})
                | Q(**{f"{p}village_id__in": Village.objects.filter(subdistrict__area_id=a.area_id).values("pk")}))
    if a.role == Role.SUBDISTRICT_STAFF:
        from kongchuo.models import School, Village

        return (Q(**{f"{p}village_id__in": Village.objects.filter(subdistrict_id=a.subdistrict_id).values("pk")})
                | Q(**{f"{p}school_id__in": School.objects.filter(subdistrict_id=a.subdistrict_id).values("pk")}))
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
    if a.role in (Role.TEACHER, Role.HEAD_TEACHER, Role.GRADE_LEADER):
        # A teacher also sees the cases of their school handed to them (owner) or paired with them (结对帮扶).
        mine = Q(**{f"{p}owner": user}) | Q(**{f"{p}mentor": user})
        return student_q | (mine & Q(**{f"{p}student__school_id": _school_id_of(a)}))
    return student_q


def _notice_q_for(a, user, p=""):
    """Notices follow their case, for the roles that may see notices at all (not 科任教师 or 村干部)."""
    if a.role not in ACTIONS["notice.view"]:
        return NOTHING
    return _case_q_for(a, user, p + "case__")


def _area_id_of(a):
    if a.area_id:
        return a.area_id
    if a.subdistrict_id:
        return a.subdistrict.area_id
    if a.village_id:
        return a.village.subdistrict.area_id
    school_id = _school_id_of(a)
    if school_id is None:
        return None
    school = a.school if a.school_id else a.grade.school if a.grade_id else a.school_class.grade.school
    return school.area_id


def _area_q_for(a, user, p=""):
    """Area-wide configuration (e.g. the wording of notices): everyone sees their own 管理区's."""
    area_id = _area_id_of(a)
    return Q(**{f"{p}area_id": area_id}) if area_id else NOTHING


def _visit_q_for(a, user, p=""):
    """A visit logged on a case follows the case; a 大家访 visit without a case follows the student."""
    return ((Q(**{f"{p}case__isnull": False}) & _case_q_for(a, user, p + "case__"))
            | (Q(**{f"{p}case__isnull": True}) & _student_q_for(a, user, p + "student__")))


def _own_q_for(a, user, p=""):
    return Q(**{f"{p}recipient": user})


# Which roles own a case at each escalation tier (教师 → 学校 → 教育办 → 办事处).
CASE_TIER_ROLES = {
    "teacher": (Role.TEACHER, Role.HEAD_TEACHER),
    "school": (Role.SCHOOL_ADMIN,),
    "office": (Role.OFFICE_STAFF,),
    "subdistrict": (Role.SUBDISTRICT_STAFF,),
}


def case_tier_candidates(stage, student):
    """Accounts that may own a case of `student` at `stage`, best first (包保 teacher before head teacher).

    `stage` is a Case.Stage value, or "village" for the 村/社区 approver of an exemption."""
    from kongchuo.models import User
    from students.models import CareAssignment

    active = RoleAssignment.objects.filter(is_active=True, user__is_active=True)
    if stage == "teacher":
        carers = list(User.objects.filter(
            pk__in=CareAssignment.objects.filter(student=student, is_active=True).values("teacher_id"),
            is_active=True).order_by("pk"))
        heads = []
        if student.school_class_id:
            heads = list(User.objects.filter(pk__in=active.filter(
                role=Role.HEAD_TEACHER, school_class_id=student.school_class_id).values("user_id")).order_by("pk"))
        return carers + [u for u in heads if u not in carers]
    if stage == "school":
        q = Q(role=Role.SCHOOL_ADMIN, school_id=student.school_id) if student.school_id else NOTHING
    elif stage == "office":
        area_id = (student.school.area_id if student.school_id
                   else student.village.subdistrict.area_id if student.village_id else None)
        q = Q(role=Role.OFFICE_STAFF, area_id=area_id) if area_id else NOTHING
        if q is not NOTHING and student.school_id:
            # 教育办领导包学校: the school's liaison leader comes first.
            from django.apps import apps

            try:
                liaison = apps.get_model("students", "OfficeSchoolLiaison")
            except LookupError:
                liaison = None
            if liaison is not None:
                leaders = list(User.objects.filter(
                    pk__in=liaison.objects.filter(school_id=student.school_id, is_active=True).values("leader_id"),
                    is_active=True, role_assignments__in=active.filter(q)).distinct().order_by("pk"))
                others = list(User.objects.filter(pk__in=active.filter(q).values("user_id")).order_by("pk"))
                return leaders + [u for u in others if u not in leaders]
    elif stage == "village":  # 村/社区干部 of the student's village (缓学/免学 first approval)
        q = Q(role=Role.VILLAGE_CADRE, village_id=student.village_id) if student.village_id else NOTHING
    elif stage == "subdistrict":
        sub_id = (student.village.subdistrict_id if student.village_id
                  else student.school.subdistrict_id if student.school_id else None)
        q = Q(role=Role.SUBDISTRICT_STAFF, subdistrict_id=sub_id) if sub_id else NOTHING
    else:
        raise LookupError(stage)
    if q is NOTHING:
        return []
    return list(User.objects.filter(pk__in=active.filter(q).values("user_id")).order_by("pk"))


# Who may act (escalate, return down) on a case sitting at each tier, besides its current owner.
CASE_STAGE_ACTORS = {
    "teacher": (Role.TEACHER, Role.HEAD_TEACHER, Role.GRADE_LEADER, Role.SCHOOL_ADMIN),
    "school": (Role.GRADE_LEADER, Role.SCHOOL_ADMIN),
    "office": (Role.OFFICE_STAFF,),
    "subdistrict": (Role.SUBDISTRICT_STAFF,),
}


def acts_at_case_stage(user, stage):
    return bool(roles_of(user) & set(CASE_STAGE_ACTORS[stage]))


def case_stage_of(user):
    """The tiers a user acts at (for "my tier" lists)."""
    roles = roles_of(user)
    return [stage for stage, stage_roles in CASE_TIER_ROLES.items() if roles & set(stage_roles)]


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


# discovery: classes whose whole roster a role sees (roll-call, 报到 confirmation). A 科任教师 sees only the
# students they 包, so never a whole class.
def _roster_class_q_for(a, user, p=""):
    if a.role == Role.HEAD_TEACHER:
        return Q(**{f"{p}pk": a.school_class_id})
    if a.role == Role.GRADE_LEADER:
        return Q(**{f"{p}grade_id": a.grade_id})
    if a.role == Role.SCHOOL_ADMIN:
        return Q(**{f"{p}grade__school_id": a.school_id})
    if a.role in AREA_ROLES:
        return Q(**{f"{p}grade__school__area_id": a.area_id})
    if a.role == Role.SUBDISTRICT_STAFF:
        return Q(**{f"{p}grade__school__subdistrict_id": a.subdistrict_id})
    return NOTHING


def roster_classes(user, action=None):
    """Classes whose whole roster `user` sees — with `action`, only through roles allowed to perform it."""
    from kongchuo.models import SchoolClass

    assignments = get_scope(user).assignments
    if action is not None:
        assignments = [a for a in assignments if a.role in ACTIONS[action]]
    parts = [q for q in (_roster_class_q_for(a, user) for a in assignments) if q is not NOTHING]
    if not parts:
        return SchoolClass.objects.none()
    return SchoolClass.objects.filter(reduce(operator.or_, parts))


def _nonreturn_q_for(a, user, p=""):
    """A 未返校 entry follows its student and stays visible to the school (and area) that recorded it."""
    q = _student_q_for(a, user, p + "student__")
    if a.role == Role.SCHOOL_ADMIN or a.role in AREA_ROLES or a.role == Role.SUBDISTRICT_STAFF:
        q = q | _school_q_for(a, user, p + "school__")
    return q


def _via(path, rule):
    """A rule for a model whose scope is its parent's (e.g. FamilyMember → student)."""
    return lambda a, user, p="": rule(a, user, f"{p}{path}__")


def _import_batch_q_for(a, user, p=""):
    """学籍导入记录: the school's admins (who import) and the 教育办 of the area (oversight, read-only)."""
    if a.role == Role.SCHOOL_ADMIN:
        return Q(**{f"{p}school_id": a.school_id})
    if a.role == Role.OFFICE_STAFF:
        return Q(**{f"{p}school__area_id": a.area_id})
    return NOTHING


def _population_list_q_for(a, user, p=""):
    """适龄儿童名单 (学籍比对): the village's cadres, the 办事处 of the villages, the area's 教育办/领导小组."""
    if a.role == Role.VILLAGE_CADRE:
        return Q(**{f"{p}village_id": a.village_id})
    if a.role == Role.SUBDISTRICT_STAFF:
        return Q(**{f"{p}subdistrict_id": a.subdistrict_id})
    if a.role in AREA_ROLES:
        return Q(**{f"{p}area_id": a.area_id})
    return NOTHING


def _population_entry_q_for(a, user, p=""):
    """A child of a population list is seen by whoever covers the child's village (not by schools)."""
    if a.role == Role.VILLAGE_CADRE:
        return Q(**{f"{p}village_id": a.village_id})
    if a.role == Role.SUBDISTRICT_STAFF:
        return Q(**{f"{p}village__subdistrict_id": a.subdistrict_id})
    if a.role in AREA_ROLES:
        return Q(**{f"{p}village__subdistrict__area_id": a.area_id})
    return NOTHING


def _village_q_for(a, user, p=""):
    """Villages a user covers (学籍比对 lists are uploaded for these): own village, the 办事处's, the area's."""
    if a.role == Role.VILLAGE_CADRE:
        return Q(**{f"{p}pk": a.village_id})
    if a.role == Role.SUBDISTRICT_STAFF:
        return Q(**{f"{p}subdistrict_id": a.subdistrict_id})
    if a.role in AREA_ROLES:
        return Q(**{f"{p}subdistrict__area_id": a.area_id})
    return NOTHING


def _job_q_for(a, user, p=""):
    """后台任务: the requester's own jobs (while they hold a role at all); the system administrator also sees every
    failed job, for diagnosis (never its file: see job_file_allowed)."""
    own = Q(**{f"{p}requester": user})
    if a.role == Role.SYSADMIN:
        return own | Q(**{f"{p}status": "failed"})
    return own


def job_scope_for(user, action):
    """The role assignments under which `user` may start a job needing `action` (recorded on the job)."""
    allowed = ACTIONS.get(action)
    if allowed is None:
        raise LookupError(f"unknown action {action}")
    return [a for a in get_scope(user).assignments if a.role in allowed]


def job_scope_ok(user, job):
    """Is the scope a job was started under still held? Checked when the job runs and when its file is fetched:
    at least one of the recorded role assignments must still be active and still allow the job's action."""
    if not getattr(user, "is_active", False) or job.requester_id != user.pk:
        return False
    recorded = {entry.get("id") for entry in job.scope or []}
    return any(a.pk in recorded for a in job_scope_for(user, job.action))


def job_file_allowed(user, job):
    """Only the requester downloads a job's file, and only while the scope it ran under still holds."""
    return job.requester_id == getattr(user, "pk", None) and job_scope_ok(user, job)


# model label → rule(assignment, user, prefix) -> Q. Apps add their models here, not elsewhere.
RULES = {
    "students.Student": _student_q_for,
    "students.FamilyMember": _via("student", _student_q_for),
    "students.CareAssignment": _via("student", _student_q_for),
    "students.Absence": _via("student", _student_q_for),
    "students.AbsenceEpisode": _via("student", _student_q_for),
    "students.AbsenceAlert": _via("student", _student_q_for),
    "students.TermArrival": _via("student", _student_q_for),
    "students.NonReturnEntry": _nonreturn_q_for,
    "students.RollCall": _via("school_class", _roster_class_q_for),
    "kongchuo.School": _school_q_for,
    "kongchuo.Grade": _via("school", _school_q_for),
    "kongchuo.SchoolClass": _via("grade__school", _school_q_for),
    "cases.Case": _case_q_for,
    "cases.CaseEvent": _via("case", _case_q_for),
    "cases.CaseReason": _via("case", _case_q_for),
    "cases.CaseClosure": _via("case", _case_q_for),
    "cases.FollowUp": _via("case", _case_q_for),
    "cases.HomeVisit": _visit_q_for,
    "cases.VisitPhoto": _via("visit", _visit_q_for),
    "cases.Exemption": _via("student", _student_q_for),
    "cases.TeachingPlan": _via("student", _student_q_for),
    "cases.TeachingSession": _via("plan__student", _student_q_for),
    "cases.SessionPhoto": _via("session__plan__student", _student_q_for),
    "cases.AssistanceRecord": _via("student", _student_q_for),
    "cases.Notification": _own_q_for,
    "kongchuo.User": _user_q_for,
    # notices issue
    "notices.Notice": _notice_q_for,
    "notices.NoticeService": _via("notice", _notice_q_for),
    "notices.NoticeTemplate": _area_q_for,
    # registry issue
    "students.VulnerabilityFlag": _via("student", _student_q_for),
    "students.StatusChange": _via("student", _student_q_for),
    "students.TransferConfirmation": _via("status_change__student", _student_q_for),
    "students.StatusChangeDocument": _via("status_change__student", _student_q_for),
    "students.Enrolment": _via("student", _student_q_for),
    "students.OfficeSchoolLiaison": _via("school", _school_q_for),
    # importer
    "students.ImportBatch": _import_batch_q_for,
    "kongchuo.Village": _village_q_for,
    "students.PopulationList": _population_list_q_for,
    "students.PopulationEntry": _population_entry_q_for,
    # job layer
    "kongchuo.Job": _job_q_for,
    # go-live (staff app)
    "staff.StaffImport": lambda a, user, p="": _staff_import_q_for(a, user, p),
    "staff.OrgImport": lambda a, user, p="": (Q(**{f"{p}area_id": a.area_id})
                                              if a.role in (Role.SYSADMIN, Role.OFFICE_STAFF) else NOTHING),
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


def _staff_import_q_for(a, user, p=""):
    """教职工名单导入记录: the school's admins for their school's files, the 教育办 for every file of the area."""
    if a.role == Role.SCHOOL_ADMIN:
        return Q(**{f"{p}school_id": a.school_id})
    if a.role == Role.OFFICE_STAFF:
        return Q(**{f"{p}area_id": a.area_id})
    return NOTHING


# ---------------------------------------------------------------- granting roles (go-live, staff app)
# Which roles each managing role may grant, end and reset — always inside its own scope (grant_scope_ok).
# A 校长/学校管理员 manages the teachers of their school; the 教育办 the school admins, 办事处 and 村 accounts of the
# area (and the school roles too, for an area-wide staff import). The 系统管理员 keeps configuration only.
GRANTABLE_ROLES = {
    Role.SCHOOL_ADMIN: {Role.TEACHER, Role.HEAD_TEACHER, Role.GRADE_LEADER},
    Role.OFFICE_STAFF: {Role.TEACHER, Role.HEAD_TEACHER, Role.GRADE_LEADER, Role.SCHOOL_ADMIN,
                        Role.SUBDISTRICT_STAFF, Role.VILLAGE_CADRE, Role.OFFICE_STAFF, Role.LEADERSHIP},
}


def scope_ids(role, scope_obj):
    """(school id, area id) a role's scope object belongs to."""
    field = {Role.TEACHER: "school", Role.SCHOOL_ADMIN: "school", Role.HEAD_TEACHER: "school_class",
             Role.GRADE_LEADER: "grade", Role.SUBDISTRICT_STAFF: "subdistrict", Role.VILLAGE_CADRE: "village"
             }.get(role, "area")
    if scope_obj is None:
        return None, None
    if field == "school":
        return scope_obj.pk, scope_obj.area_id
    if field == "school_class":
        return scope_obj.grade.school_id, scope_obj.grade.school.area_id
    if field == "grade":
        return scope_obj.school_id, scope_obj.school.area_id
    if field == "subdistrict":
        return None, scope_obj.area_id
    if field == "village":
        return None, scope_obj.subdistrict.area_id
    return None, scope_obj.pk


def grant_scope_ok(user, role, scope_obj):
    """May `user` grant (or end) `role` bound to `scope_obj` (a School, SchoolClass, Grade, SubDistrict, Village
    or Area)? Only managing roles, only the roles GRANTABLE_ROLES gives them, only inside their own scope."""
    if not getattr(user, "is_authenticated", False) or scope_obj is None:
        return False
    school_id, area_id = scope_ids(role, scope_obj)
    for a in get_scope(user).assignments:
        if role not in GRANTABLE_ROLES.get(a.role, ()):
            continue
        if a.role == Role.SCHOOL_ADMIN and school_id is not None and school_id == a.school_id:
            return True
        if a.role == Role.OFFICE_STAFF and area_id is not None and area_id == a.area_id:
            return True
    return False


def can_manage_account(user, target, *, home_school=None, home_area=None):
    """May `user` reset the password of / end the account of `target`? Every active role of `target` must be one
    `user` may grant in that scope (a principal cannot touch an 教育办 account that also teaches); an account without
    roles is managed where its staff profile belongs (`home_school` / `home_area`). Nobody manages themselves here,
    nor a superuser or a 系统管理员."""
    if not getattr(user, "is_authenticated", False) or target is None or target.pk == user.pk:
        return False
    if target.is_superuser or target.is_staff:
        return False
    assignments = list(RoleAssignment.objects.filter(user=target, is_active=True).select_related(
        "school", "grade__school", "school_class__grade__school", "village__subdistrict", "subdistrict", "area"))
    if assignments:
        return all(grant_scope_ok(user, a.role, a.scope_object) for a in assignments)
    for a in get_scope(user).assignments:
        if a.role == Role.SCHOOL_ADMIN and home_school is not None and home_school.pk == a.school_id:
            return True
        if a.role == Role.OFFICE_STAFF and (
                (home_school is not None and home_school.area_id == a.area_id)
                or (home_area is not None and home_area.pk == a.area_id)):
            return True
    return False


def managed_schools(user):
    """Schools whose staff `user` manages (their own school for a principal, the area's for the 教育办)."""
    from kongchuo.models import School

    parts = []
    for a in get_scope(user).assignments:
        if a.role == Role.SCHOOL_ADMIN:
            parts.append(Q(pk=a.school_id))
        elif a.role == Role.OFFICE_STAFF:
            parts.append(Q(area_id=a.area_id))
    if not parts:
        return School.objects.none()
    return School.objects.filter(reduce(operator.or_, parts)).order_by("code")


def org_import_areas(user):
    """Areas whose 学校名录 / 村（社区）名录 `user` may import (系统管理员 and 教育办 of that area)."""
    from kongchuo.models import Area

    roles = ACTIONS["org.import"]
    return Area.objects.filter(pk__in=[a.area_id for a in get_scope(user).assignments if a.role in roles])


def managed_areas(user):
    from kongchuo.models import Area

    return Area.objects.filter(pk__in=[a.area_id for a in get_scope(user).assignments if a.role == Role.OFFICE_STAFF])


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
    ("学籍导入", "students:import", "upload", "student.import"),
    ("学籍比对", "students:population", "person-check", "population.view"),
    ("点名", "students:discovery_rollcall", "clipboard-check", "absence.record"),
    ("三本台账", "students:discovery_ledgers", "journal-text", "student.view"),
    ("个案", "cases:list", "folder2-open", "case.view"),
    ("家访", "cases:visit_list", "house-door", "visit.view"),
    ("通知书", "notices:list", "file-earmark-text", "notice.view"),
    ("报表", "reports:dashboard", "bar-chart", "report.view"),
    ("花名册导出", "reports:rosters", "file-earmark-spreadsheet", "report.export"),
    ("组织机构", "org:schools", "diagram-3", "org.view"),
    ("教职工账号", "staff:list", "person-badge", "staff.manage"),
    ("上线检查", "staff:checklist", "list-check", "setup.view"),
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
