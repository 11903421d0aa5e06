"""The student list: one search box over indexed columns, scoped filters, a page without COUNT(*)."""
import re
from dataclasses import dataclass, field
from functools import reduce
import operator

from django.db.models import Exists, OuterRef, Prefetch, Q

from kongchuo import access
from kongchuo.models import School, SchoolClass
from students import idnumbers
from students.models import CareAssignment, Student, VulnerabilityFlag

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
        # ~Q(former_name=""): the 曾用名 index holds only students who have one (a partial index)
        parts += [Q(name__startswith=q), Q(former_name__startswith=q) & ~Q(former_name="")]
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
