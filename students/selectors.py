"""Reads of the registry. Every function takes the acting user; scope comes from kongchuo.access only."""
import re
from dataclasses import dataclass, field
from functools import reduce
import operator

from django.db.models import Exists, OuterRef, Prefetch, Q

from kongchuo import access
from kongchuo.models import School, SchoolClass, User
from students import idnumbers
from students.models import (
    CareAssignment, Enrolment, FamilyMember, OfficeSchoolLiaison, StatusChange, Student, VulnerabilityFlag,
)

NO_MATCH = Q(pk__in=[])
_CJK = re.compile(r"[\u3400-\u9fff]")
_STUDENT_NUMBER = re.compile(r"^[GJL]\d[0-9A-Z]*$")


# ------------------------------------------------------------------ search
def normalize_query(raw):
    return idnumbers.normalize(raw).replace("·", "").replace("'", "")[:40]


def search_q(raw):
    """One search box → a Q over indexed columns only (every branch is `col LIKE 'q%'` or `col = q`):
    name / 曾用名 prefix, full pinyin prefix, initials prefix, last 4 of the ID, ID prefix, 学籍号 prefix."""
    q = normalize_query(raw)
    if not q:
        return None
    parts = []
    if _CJK.search(q):
        parts += [Q(name__startswith=q), Q(former_name__startswith=q)]
    if q.isascii() and q.isalpha():
        low = q.lower()
        parts += [Q(name_pinyin__startswith=low), Q(name_initials__startswith=low)]
    if re.fullmatch(r"\d{3}[\dX]", q):
        parts.append(Q(id_last4=q))
    if re.fullmatch(r"\d{5,17}[\dX]?", q):
        parts.append(Q(id_number__startswith=q))
    if _STUDENT_NUMBER.match(q):
        parts.append(Q(student_number__startswith=q))
    return reduce(operator.or_, parts) if parts else NO_MATCH


def search_hint(raw):
    q = normalize_query(raw)
    if q and search_q(q) is NO_MATCH:
        return "请输入姓名、拼音或首字母（如 zhangbaojie、zbj）、身份证号后 4 位、身份证号或学籍号。"
    return ""


# ------------------------------------------------------------------ list
@dataclass
class StudentFilters:
    q: str = ""
    school: int | None = None
    grade: int | None = None  # grade level 1–9
    school_class: int | None = None
    status: str = ""
    flag: str = ""
    care: str = ""  # "none": without 包保 teacher


def active_flags_prefetch():
    return Prefetch("flags", queryset=VulnerabilityFlag.objects.filter(end_date__isnull=True).order_by("kind"),
                    to_attr="active_flags")


def active_care_prefetch():
    return Prefetch("care_assignments", queryset=CareAssignment.objects.filter(is_active=True)
                    .select_related("teacher").order_by("pk"), to_attr="active_care")


def student_list(user, filters: StudentFilters):
    qs = Student.objects.visible_to(user)
    sq = search_q(filters.q)
    if sq is not None:
        qs = qs.filter(sq)
    if filters.school:
        qs = qs.filter(school_id=filters.school)
    if filters.grade:
        qs = qs.filter(grade__level=filters.grade)
    if filters.school_class:
        qs = qs.filter(school_class_id=filters.school_class)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.flag:
        qs = qs.filter(Exists(VulnerabilityFlag.objects.filter(student=OuterRef("pk"), kind=filters.flag,
                                                               end_date__isnull=True)))
    if filters.care == "none":
        qs = qs.filter(~Exists(CareAssignment.objects.filter(student=OuterRef("pk"), is_active=True)))
    return (qs.select_related("school", "grade", "school_class__grade", "village")
            .prefetch_related(active_flags_prefetch(), active_care_prefetch())
            .order_by("school_id", "school_class_id", "name_pinyin", "pk"))


@dataclass
class CappedPage:
    """A page without COUNT(*) over the whole scope (PITFALLS: exact counts dominate big tables): the count stops
    at `cap` ("1000+"), and the next page is known by fetching one row more."""

    object_list: list
    number: int
    has_next: bool
    count: int
    capped: bool
    per_page: int = 25
    extra: dict = field(default_factory=dict)

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)

    @property
    def has_previous(self):
        return self.number > 1

    @property
    def has_other_pages(self):
        return self.has_next or self.has_previous

    @property
    def previous_page_number(self):
        return self.number - 1

    @property
    def next_page_number(self):
        return self.number + 1

    @property
    def start_index(self):
        return (self.number - 1) * self.per_page + 1 if self.object_list else 0


def capped_page(qs, page, *, per_page=25, cap=1000):
    try:
        number = max(1, min(int(page or 1), 10000))
    except (TypeError, ValueError):
        number = 1
    start = (number - 1) * per_page
    rows = list(qs[start:start + per_page + 1])
    if number == 1 and len(rows) <= per_page:
        count = len(rows)  # the whole result is on this page: no count query
    else:
        count = qs.order_by()[:cap + 1].count() if (rows or number > 1) else 0
    return CappedPage(object_list=rows[:per_page], number=number, has_next=len(rows) > per_page,
                      count=min(count, cap), capped=count > cap, per_page=per_page)


def filter_choices(user, school_id=None):
    """Schools and current-year classes inside the user's scope, for the list filters (two queries)."""
    schools = list(School.objects.visible_to(user).order_by("code").only("pk", "name", "code", "kind")) \
        if hasattr(School.objects, "visible_to") else list(access.visible(School, user).order_by("code"))
    classes = SchoolClass.objects.filter(grade__school_year__is_current=True, grade__school__in=[s.pk for s in schools])
    if school_id:
        classes = classes.filter(grade__school_id=school_id)
    classes = list(classes.select_related("grade__school").order_by("grade__school__code", "grade__level", "number"))
    return schools, classes


# ------------------------------------------------------------------ detail
def student_for(user, pk, *, for_update=False):
    qs = Student.objects.select_related("school", "grade__school_year", "school_class__grade", "village__subdistrict")
    return access.get_visible_or_404(qs, user, pk=pk)


def family_of(student):
    return list(student.family_members.all())


def siblings_of(student, user, family=None):
    """Students sharing a guardian (same guardian ID number, or same name + phone when no ID) — the household.
    Returns [(sibling, visible_to_user)]; siblings outside the user's scope are shown without details."""
    guardians = [m for m in (family if family is not None else family_of(student)) if m.is_guardian]
    parts = [Q(id_number__in=[g.id_number for g in guardians if g.id_number])]
    parts += [Q(name=g.name, phone=g.phone) for g in guardians if g.phone]
    if not guardians:
        return []
    members = FamilyMember.objects.filter(reduce(operator.or_, parts), is_guardian=True).exclude(student=student)
    siblings = list(Student.objects.filter(pk__in=members.values("student_id"))
                    .select_related("school", "school_class__grade").order_by("birth_date", "pk")[:20])
    if not siblings:
        return []
    visible = set(Student.objects.visible_to(user).filter(pk__in=[s.pk for s in siblings])
                  .values_list("pk", flat=True))
    return [(s, s.pk in visible) for s in siblings]


def flags_of(student):
    return list(VulnerabilityFlag.objects.filter(student=student).select_related("set_by", "ended_by")
                .order_by("end_date", "-start_date", "-pk"))


def status_changes_of(student):
    return list(StatusChange.objects.filter(student=student)
                .select_related("recorded_by", "from_school", "to_school", "from_class__grade", "to_class__grade",
                                "confirmation__receiving_school", "confirmation__confirmed_by")
                .prefetch_related("documents").order_by("-date", "-pk"))


def enrolments_of(student):
    return list(Enrolment.objects.filter(student=student)
                .select_related("school_year", "school", "grade", "school_class__grade").order_by("-start_date", "-pk"))


@dataclass
class CareChain:
    teachers: list
    head_teachers: list
    grade_leaders: list
    principals: list
    liaisons: list


def care_chain(student):
    """包保 chain: 科任教师 ↔ student, 班主任 ↔ class, 校领导 ↔ grade, 校长 ↔ school, 教育办领导 ↔ school."""
    from kongchuo.models import Role

    teachers = list(CareAssignment.objects.filter(student=student, is_active=True).select_related("teacher"))
    holders = access.responsible_holders(school_class_ids=[student.school_class_id], grade_ids=[student.grade_id],
                                         school_ids=[student.school_id])
    liaisons = list(OfficeSchoolLiaison.objects.filter(school_id=student.school_id, is_active=True)
                    .select_related("leader")) if student.school_id else []
    return CareChain(teachers=teachers, head_teachers=holders[Role.HEAD_TEACHER],
                     grade_leaders=holders[Role.GRADE_LEADER], principals=holders[Role.SCHOOL_ADMIN],
                     liaisons=liaisons)


def change_log(student, limit=10):
    """Recent profile edits from the history table: who, when, which fields (values are not shown: they may be
    ID or phone numbers). One query."""
    records = list(student.history.select_related("history_user").order_by("-history_date", "-history_id")[:limit + 1])
    fields = [f for f in Student._meta.concrete_fields if f.name not in ("updated", "created", "id")]
    log = []
    for newer, older in zip(records, records[1:] + [None]):
        if older is None:
            changed = ["新建"] if newer.history_type == "+" else ["修改（更早的记录来自批量导入）"]
        else:
            changed = [str(f.verbose_name) for f in fields
                       if getattr(newer, f.attname) != getattr(older, f.attname) and f.editable]
        if changed or older is None:
            log.append({"at": newer.history_date, "user": newer.history_user, "fields": changed})
    return log[:limit]


# ------------------------------------------------------------------ 包保 pages
def school_for(user, pk):
    return access.get_visible_or_404(School, user, pk=pk)


def school_staff_q(school, prefix=""):
    """Accounts with an active assignment at the school (any role bound to the school, its grades or classes)."""
    p = prefix
    return Q(**{f"{p}role_assignments__is_active": True}) & (
        Q(**{f"{p}role_assignments__school": school})
        | Q(**{f"{p}role_assignments__grade__school": school})
        | Q(**{f"{p}role_assignments__school_class__grade__school": school}))


def teacher_choices(user, school):
    """Colleagues the user may name as 包保 teacher at `school` (access.visible(User) ∩ staff of the school)."""
    ids = access.visible(User, user).filter(school_staff_q(school), is_active=True).values("pk")
    return User.objects.filter(pk__in=ids).order_by("real_name", "username")


def liaison_choices(user, school):
    ids = access.visible(User, user).filter(role_assignments__area_id=school.area_id,
                                            role_assignments__is_active=True, is_active=True).values("pk")
    return User.objects.filter(pk__in=ids).order_by("real_name", "username")


def unassigned_students(user, school):
    """Students on the school's roll without an active 包保 teacher (within the user's scope)."""
    return (Student.objects.visible_to(user).filter(school=school).active()
            .filter(~Exists(CareAssignment.objects.filter(student=OuterRef("pk"), is_active=True)))
            .select_related("grade", "school_class__grade").prefetch_related(active_flags_prefetch())
            .order_by("grade__level", "school_class__number", "name_pinyin", "pk"))


def priority_students(user, school, kind=""):
    """Priority list (重点关注名单): students of the school with any active flag (or one kind)."""
    flags = VulnerabilityFlag.objects.filter(student=OuterRef("pk"), end_date__isnull=True)
    if kind:
        flags = flags.filter(kind=kind)
    return (Student.objects.visible_to(user).filter(school=school).filter(Exists(flags))
            .select_related("grade", "school_class__grade")
            .prefetch_related(active_flags_prefetch(), active_care_prefetch())
            .order_by("grade__level", "school_class__number", "name_pinyin", "pk"))


def school_chain(school):
    """The school's 包保 tiers: 教育办 liaison, principals, 校领导 per grade, 班主任 per class (four queries)."""
    from kongchuo.models import Role

    grades = list(school.grades.filter(school_year__is_current=True).prefetch_related("classes").order_by("level"))
    classes = [c for g in grades for c in g.classes.all()]
    holders = access.responsible_holders(school_class_ids=[c.pk for c in classes], grade_ids=[g.pk for g in grades],
                                         school_ids=[school.pk])
    by_grade, by_class = {}, {}
    for a in holders[Role.GRADE_LEADER]:
        by_grade.setdefault(a.grade_id, []).append(a.user)
    for a in holders[Role.HEAD_TEACHER]:
        by_class.setdefault(a.school_class_id, []).append(a.user)
    rows = [{"grade": g, "leaders": by_grade.get(g.pk, []),
             "classes": [(c, by_class.get(c.pk, [])) for c in g.classes.all()]} for g in grades]
    liaison = OfficeSchoolLiaison.objects.filter(school=school, is_active=True).select_related("leader").first()
    return {"grades": rows, "principals": [a.user for a in holders[Role.SCHOOL_ADMIN]], "liaison": liaison}
