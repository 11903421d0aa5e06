"""Term start (seed 五.1): 班主任 confirm 报到 class by class; the school's check lists who has not returned.

"Last term's roster" of a school = students 在读 there now, plus everyone whose 学年在籍记录 (Enrolment)
overlaps the previous term, plus everyone confirmed 报到 there last term. "Present now" = confirmed 报到 for
the term, or marked 到 at any roll-call of the term. A student of last term's roster who is not present, whose
class has confirmed 报到 (or taken a roll-call) this term, and who has no 学籍异动 recorded since the previous
term began, becomes a 未返校 entry. Students who left with a recorded 异动 (转出/休学/辍学/死亡/毕业…) or are
在读 at another school are not entries; classes that have not confirmed 报到 yet are reported, not guessed.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from kongchuo.models import SchoolClass, Term
from students import signals
from students.models import Enrolment, StatusChange, Student
from students.models.discovery import Absence, NonReturnEntry, RollCall, TermArrival

EARLY_CONFIRM_DAYS = 7  # 报到 may be confirmed up to a week before the term starts (registration days)


def _fmt(d):
    return f"{d.year}年{d.month}月{d.day}日"


def _save(obj, actor):
    """Save with the acting user on the history row (also outside a request: commands, demo)."""
    if actor is not None:
        obj._history_user = actor
    obj.save()
    return obj


def current_term(today=None):
    """The term that has started most recently (the one in progress, or the last one during a vacation)."""
    today = today or timezone.localdate()
    return (Term.objects.filter(start_date__lte=today + timedelta(days=EARLY_CONFIRM_DAYS))
            .select_related("school_year").order_by("-start_date").first())


# ------------------------------------------------------------------ 报到 confirmation
@dataclass
class ArrivalResult:
    arrived: int
    missing: int
    returned: list = field(default_factory=list)  # 未返校 entries closed because the student has now reported


@transaction.atomic
def term_arrival_save(*, term, school_class, arrived_ids, actor, today=None) -> ArrivalResult:
    """The 班主任 confirms 报到 for the whole class at once: ticked students reported, the others did not."""
    today = today or timezone.localdate()
    if today < term.start_date - timedelta(days=EARLY_CONFIRM_DAYS):
        raise ValidationError({"term": f"{term}尚未开始报到（{_fmt(term.start_date)}开学）。"})
    if today > term.end_date:
        raise ValidationError({"term": f"{term}已结束，不能再确认报到。"})
    roster = {s.pk: s for s in Student.objects.filter(school_class=school_class, status=Student.Status.ENROLLED)}
    arrived_ids = set(arrived_ids)
    if arrived_ids - set(roster):
        raise ValidationError({"arrived": "提交的学生不在本班在读名单中，请刷新页面后重新确认。"})
    school = school_class.grade.school
    locked = TermArrival.objects.select_for_update(of=("self",)).order_by("pk")
    existing = {a.student_id: a for a in locked.filter(term=term, student_id__in=roster)}
    for sid in roster:
        arrived = sid in arrived_ids
        row = existing.get(sid)
        if row is None:
            _save(TermArrival(term=term, student_id=sid, school=school, school_class=school_class, arrived=arrived,
                              recorded_by=actor), actor)
        elif row.arrived != arrived or row.school_class_id != school_class.pk:
            row.arrived, row.school, row.school_class, row.recorded_by = arrived, school, school_class, actor
            _save(row, actor)
    returned = _close_returned(term=term, student_ids=arrived_ids, day=max(min(today, term.end_date), term.start_date),
                               actor=actor)
    return ArrivalResult(arrived=len(arrived_ids), missing=len(roster) - len(arrived_ids), returned=returned)


def _close_returned(*, term, student_ids, day, actor):
    closed = []
    for entry in NonReturnEntry.objects.select_for_update(of=("self",)).order_by("pk").filter(
            term=term, student_id__in=student_ids, status__in=NonReturnEntry.OPEN_STATUSES):
        entry.status, entry.returned_on, entry.updated_by = NonReturnEntry.Status.RETURNED, day, actor
        _save(entry, actor)
        closed.append(entry)
    return closed


# ------------------------------------------------------------------ the check
@dataclass
class TermCheckResult:
    school: object
    term: object
    previous: object
    expected: int = 0
    present: int = 0
    created: list = field(default_factory=list)          # new 未返校 entries
    existing: int = 0                                     # entries already there (unchanged)
    returned: list = field(default_factory=list)          # entries closed: the student has reported since
    resolved: list = field(default_factory=list)          # entries closed: a 学籍异动 has been recorded since
    unconfirmed: list = field(default_factory=list)       # [(class or None, number of students not confirmed)]

    def lines(self):
        out = [f"{self.school.name} {self.term}：上学期名单 {self.expected} 人，已报到 {self.present} 人，"
               f"新增未返校 {len(self.created)} 人，原有 {self.existing} 人，已返校 {len(self.returned)} 人，"
               f"已办异动 {len(self.resolved)} 人。"]
        for entry in self.created:
            out.append(f"  新增未返校：{entry.student.name}（{entry.school_class or '未分班'}）")
        for school_class, n in self.unconfirmed:
            out.append(f"  {school_class or '未分班学生'}：尚未确认报到（{n} 人），本次未比对")
        return out


def _roster_candidates(school, previous):
    ids = set(Student.objects.filter(school=school, status=Student.Status.ENROLLED).order_by()
              .values_list("pk", flat=True))
    if previous is not None:
        ids |= set(Enrolment.objects.filter(school=school, start_date__lte=previous.end_date)
                   .filter(Q(end_date__isnull=True) | Q(end_date__gte=previous.start_date))
                   .order_by().values_list("student_id", flat=True))
        ids |= set(TermArrival.objects.filter(term=previous, school=school, arrived=True)
                   .order_by().values_list("student_id", flat=True))
    return ids


def _present_ids(term, students, today):
    present = set(TermArrival.objects.filter(term=term, arrived=True, student_id__in=[s.pk for s in students])
                  .order_by().values_list("student_id", flat=True))
    end = min(term.end_date, today)
    class_ids = {s.school_class_id for s in students if s.school_class_id}
    rc_dates = defaultdict(set)
    for cid, day in RollCall.objects.filter(school_class_id__in=class_ids, date__gte=term.start_date,
                                            date__lte=end).order_by().values_list("school_class_id", "date"):
        rc_dates[cid].add(day)
    absent = defaultdict(set)
    for sid, day in Absence.objects.filter(student_id__in=[s.pk for s in students], date__gte=term.start_date,
                                           date__lte=end).order_by().values_list("student_id", "date"):
        absent[sid].add(day)
    for s in students:
        if rc_dates[s.school_class_id] - absent[s.pk]:
            present.add(s.pk)
    return present, {cid for cid, dates in rc_dates.items() if dates}


def _require_started(term, today):
    if today < term.start_date:
        raise ValidationError({"term": f"{term}尚未开学（{_fmt(term.start_date)}），开学后再做返校比对。"})


TERM_CHECK_JOB = "students.term_check"


def term_start_check_start(*, school, term, actor, today=None):
    """The page's part of a whole school's check: validate, then start the job (students/discovery/jobs.py) that
    runs term_start_check on the worker. The command line calls term_start_check directly."""
    from kongchuo import access
    from kongchuo.jobs.services import job_start
    from django.core.exceptions import PermissionDenied

    if not access.can(actor, "discovery.term_check", school):
        raise PermissionDenied("您没有权限为该学校做返校比对。")
    _require_started(term, today or timezone.localdate())
    return job_start(actor=actor, kind=TERM_CHECK_JOB, label=f"开学返校比对：{school.name} {term}",
                     params={"school": school.pk, "term": term.pk})


@transaction.atomic
def term_start_check(*, school, term, actor=None, today=None) -> TermCheckResult:
    """Compare last term's roster with who has reported; create 未返校 entries (idempotent)."""
    today = today or timezone.localdate()
    _require_started(term, today)
    previous = term.previous()
    result = TermCheckResult(school=school, term=term, previous=previous)
    ids = _roster_candidates(school, previous)
    students = list(Student.objects.filter(pk__in=ids).select_related("school_class__grade"))
    changed = set()
    if previous is not None:
        changed = set(StatusChange.objects.filter(student_id__in=ids, date__gte=previous.start_date)
                      .order_by().values_list("student_id", flat=True))
    expected = []
    for s in students:
        here = s.school_id == school.pk and s.status == Student.Status.ENROLLED
        if here or (s.pk not in changed and s.status != Student.Status.ENROLLED):
            expected.append(s)
    result.expected = len(expected)
    present, rc_classes = _present_ids(term, expected, today)
    result.present = len(present)
    confirmed = set(TermArrival.objects.filter(term=term, school=school).exclude(school_class=None)
                    .order_by().values_list("school_class_id", flat=True).distinct()) | rc_classes
    missing, unconfirmed = [], defaultdict(int)
    for s in expected:
        if s.pk in present:
            continue
        here = s.school_id == school.pk and s.status == Student.Status.ENROLLED
        if here and s.school_class_id not in confirmed:
            unconfirmed[s.school_class_id] += 1
            continue
        missing.append(s)
    classes = {c.pk: c for c in SchoolClass.objects.filter(pk__in=[c for c in unconfirmed if c])
               .select_related("grade")}
    result.unconfirmed = sorted(((classes.get(cid), n) for cid, n in unconfirmed.items()),
                                key=lambda item: (item[0] is None, str(item[0] or "")))

    locked = NonReturnEntry.objects.select_for_update(of=("self",)).order_by("pk")
    existing = {e.student_id: e for e in locked.filter(term=term, school=school)}
    for s in missing:
        if s.pk in existing:
            result.existing += 1
            continue
        entry = _save(NonReturnEntry(
            term=term, student=s, school=school, school_class=s.school_class if s.school_id == school.pk else None,
            created_by=actor, updated_by=actor), actor)
        result.created.append(entry)
    result.returned = _close_returned(term=term, student_ids=present, day=min(today, term.end_date), actor=actor)
    expected_ids = {s.pk for s in expected}
    for entry in existing.values():
        if entry.is_open and entry.student_id not in expected_ids:
            entry.status, entry.updated_by = NonReturnEntry.Status.CHANGE_RECORDED, actor
            _save(entry, actor)
            result.resolved.append(entry)
    for entry in result.created:
        signals.non_return_recorded.send(sender=NonReturnEntry, student=entry.student, entry=entry, actor=actor)
    return result


# ------------------------------------------------------------------ 去向
@transaction.atomic
def nonreturn_update(*, entry, whereabouts, whereabouts_detail="", note="", actor) -> NonReturnEntry:
    """Fill in or correct the 去向 of a 未返校 entry."""
    whereabouts = whereabouts or ""
    whereabouts_detail = (whereabouts_detail or "").strip()
    errors = {}
    if whereabouts not in NonReturnEntry.Whereabouts.values:
        errors["whereabouts"] = "请从列表中选择去向。"
    elif whereabouts in (NonReturnEntry.Whereabouts.OTHER, NonReturnEntry.Whereabouts.OTHER_SCHOOL) \
            and not whereabouts_detail:
        errors["whereabouts_detail"] = "去向为“其他”或“在外地就读”时，请填写去向说明（地点、学校或情况）。"
    if len(whereabouts_detail) > 200:
        errors["whereabouts_detail"] = "去向说明不能超过 200 字。"
    if errors:
        raise ValidationError(errors)
    entry.whereabouts, entry.whereabouts_detail, entry.note, entry.updated_by = (
        whereabouts, whereabouts_detail, note or "", actor)
    if entry.status in NonReturnEntry.OPEN_STATUSES:
        entry.status = NonReturnEntry.Status.LOCATED if whereabouts else NonReturnEntry.Status.PENDING
    return _save(entry, actor)


@transaction.atomic
def nonreturn_mark_returned(*, entry, returned_on, actor, today=None) -> NonReturnEntry:
    """The student is back: close the entry and record the 报到 for the term."""
    today = today or timezone.localdate()
    if not entry.is_open:
        raise ValidationError({"status": f"该记录状态为“{entry.get_status_display()}”，无需再登记返校。"})
    if returned_on is None:
        raise ValidationError({"returned_on": "请填写返校日期。"})
    if returned_on > today:
        raise ValidationError({"returned_on": "返校日期不能晚于今天。"})
    if returned_on < entry.term.start_date:
        raise ValidationError({"returned_on": f"返校日期不能早于开学日期（{_fmt(entry.term.start_date)}）。"})
    entry.status, entry.returned_on, entry.updated_by = NonReturnEntry.Status.RETURNED, returned_on, actor
    _save(entry, actor)
    student = entry.student
    arrival = TermArrival.objects.filter(term=entry.term, student=student).first() or TermArrival(
        term=entry.term, student=student)
    arrival.arrived, arrival.school, arrival.school_class, arrival.recorded_by = (
        True, entry.school, student.school_class, actor)
    _save(arrival, actor)
    return entry
