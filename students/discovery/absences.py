"""Absence services: class roll-call, per-student entries, and the threshold evaluation (SPEC §4).

Every write is one transaction; thresholds are evaluated in the same transaction and emit
`students.signals.absence_threshold_reached` once per episode and level.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from kongchuo.workdays import WorkCalendar
from students import signals
from students.discovery import streaks
from students.models import Student
from students.models.discovery import LEVEL_ORDER, Absence, AbsenceAlert, AbsenceEpisode, RollCall

MAX_ENTRY_SPAN_DAYS = 120
REASONS = set(Absence.Reason.values)


def _fmt(d):
    return f"{d.year}年{d.month}月{d.day}日"


def roll_call_roster(school_class):
    """Students on the class roll-call: those 在读 in the class."""
    return Student.objects.filter(school_class=school_class, status=Student.Status.ENROLLED)


# ------------------------------------------------------------------ evaluation
@dataclass
class Evaluation:
    alerts: list = field(default_factory=list)     # AbsenceAlert rows created
    opened: list = field(default_factory=list)     # episodes created
    closed: list = field(default_factory=list)     # episodes closed
    updated: int = 0                               # episodes whose streak changed

    def alert_lines(self):
        return [f"{a.student.name}（{a.student.school_class or a.student.school or ''}）：自{_fmt(a.since)}起连续无故缺勤 "
                f"{a.days} 个上课日，达到“{a.get_level_display()}”" for a in self.alerts]

    def closed_lines(self):
        # a streak that never reached a threshold ends quietly
        return [f"{ep.student.name}：连续缺勤结束（{_fmt(ep.ended_on)}），共 {ep.days} 个上课日"
                for ep in self.closed if ep.level]

    def lines(self):
        return self.alert_lines() + self.closed_lines()


def _save(obj, actor):
    if actor is not None:
        obj._history_user = actor
    obj.save()
    return obj


def _nth_school_day(calendar, since, n):
    return since if n <= 1 else calendar.add_school_days(since, n - 1)


@transaction.atomic
def absences_evaluate(*, as_of, student_ids=None, actor=None, calendar=None) -> Evaluation:
    """Recompute running streaks as of `as_of`; open/extend/close episodes; create threshold alerts once.

    Without `student_ids`: every student with an unexcused absence in the look-back window or an open episode.
    Idempotent: a second run with the same data changes nothing and emits nothing.
    """
    cal = calendar or WorkCalendar.load()
    floor = as_of - timedelta(days=streaks.LOOKBACK_DAYS)
    if student_ids is None:
        ids = set(Absence.objects.filter(reason=Absence.Reason.UNEXCUSED, date__gte=floor, date__lte=as_of)
                  .order_by().values_list("student_id", flat=True).distinct())
        ids |= set(AbsenceEpisode.objects.filter(is_open=True).order_by().values_list("student_id", flat=True))
    else:
        ids = set(student_ids)
    result = Evaluation()
    if not ids:
        return result
    absences = defaultdict(dict)
    for sid, day, reason in (Absence.objects.filter(student_id__in=ids, date__gte=floor, date__lte=as_of)
                             .order_by().values_list("student_id", "date", "reason")):
        absences[sid][day] = reason
    class_of = dict(Student.objects.filter(pk__in=ids).order_by().values_list("pk", "school_class_id"))
    roll_calls = defaultdict(set)
    class_ids = {cid for cid in class_of.values() if cid}
    for cid, day in RollCall.objects.filter(school_class_id__in=class_ids, date__gte=floor,
                                            date__lte=as_of).order_by().values_list("school_class_id", "date"):
        roll_calls[cid].add(day)
    episodes = defaultdict(list)
    for ep in (AbsenceEpisode.objects.select_for_update(of=("self",)).order_by("pk").filter(student_id__in=ids)
               .filter(Q(last_absent_on__gte=floor) | Q(is_open=True)).order_by("since")):
        episodes[ep.student_id].append(ep)
    alert_levels = defaultdict(set)
    for ep_id, level in (AbsenceAlert.objects.filter(episode__student_id__in=ids).order_by()
                         .values_list("episode_id", "level")):
        alert_levels[ep_id].add(level)

    to_close, to_update, to_create, pending_alerts = [], [], [], []  # pending: (episode, student, [(level, n)])
    for sid in sorted(ids):
        if sid not in class_of:
            continue
        marks, rc_dates = absences[sid], roll_calls[class_of[sid]]
        streak = streaks.current_streak(cal, marks, rc_dates, as_of)
        eps = episodes[sid]
        match = None
        if streak:
            overlapping = [ep for ep in eps if ep.since <= streak.last and ep.last_absent_on >= streak.since]
            match = next((ep for ep in overlapping if ep.is_open), overlapping[-1] if overlapping else None)
        for ep in eps:
            if ep.is_open and ep is not match:
                ep.is_open = False
                ep.ended_on = streaks.first_break_after(cal, marks, rc_dates, ep.last_absent_on, as_of) or as_of
                to_close.append(ep)
        if not streak:
            continue
        have = set() if match is None else alert_levels[match.pk]
        due = [(level, n) for level, n in streaks.thresholds() if streak.days >= n and level not in have]
        level = _max_level(have | {lv for lv, _ in due})
        if match is None:
            match = AbsenceEpisode(student_id=sid, since=streak.since, last_absent_on=streak.last, days=streak.days,
                                   level=level)
            to_create.append(match)
        elif (match.since, match.last_absent_on, match.days, match.is_open, match.level) != (
                streak.since, streak.last, streak.days, True, level):
            match.since, match.last_absent_on, match.days = streak.since, streak.last, streak.days
            match.is_open, match.ended_on, match.level = True, None, level
            to_update.append(match)
        if due:
            pending_alerts.append((match, sid, streak, due))

    # Writes in bulk, in an order the "one open episode per student" constraint accepts: close, update, create.
    now = timezone.now()
    for ep in to_close + to_update:
        ep.updated = now
    fields = ["since", "last_absent_on", "days", "level", "is_open", "ended_on", "updated"]
    if to_close:
        bulk_update_with_history(to_close, AbsenceEpisode, fields, default_user=actor)
    if to_update:
        bulk_update_with_history(to_update, AbsenceEpisode, fields, default_user=actor)
    if to_create:
        bulk_create_with_history(to_create, AbsenceEpisode, default_user=actor)
    alerts = [AbsenceAlert(episode=ep, student_id=sid, level=lv, days=streak.days, since=streak.since,
                           reached_on=_nth_school_day(cal, streak.since, n), actor=actor)
              for ep, sid, streak, due in pending_alerts for lv, n in due]
    if alerts:
        bulk_create_with_history(alerts, AbsenceAlert, default_user=actor)
    # Full student rows only for those the caller reads about (signal receivers, printed lines).
    needed = {a.student_id for a in alerts} | {ep.student_id for ep in to_close}
    students = {s.pk: s for s in Student.objects.filter(pk__in=needed).select_related("school_class__grade",
                                                                                      "school")} if needed else {}
    for obj in alerts + to_close:
        obj.student = students[obj.student_id]
    result.closed, result.opened, result.updated = to_close, to_create, len(to_update)
    for alert in alerts:
        result.alerts.append(alert)
        signals.absence_threshold_reached.send(
            sender=AbsenceAlert, student=alert.student, level=alert.level, days=alert.days, since=alert.since,
            actor=actor)
    return result


def _max_level(levels):
    reached = [lv for lv in LEVEL_ORDER if lv in levels]
    return reached[-1] if reached else ""


# ------------------------------------------------------------------ roll-call
@dataclass
class RollCallResult:
    roll_call: RollCall
    created: bool
    absent: int
    present: int
    evaluation: Evaluation


@transaction.atomic
def rollcall_save(*, school_class, day, marks, actor, today=None, calendar=None) -> RollCallResult:
    """Record the roll-call of a class for one school day.

    marks: {student_id: reason} where reason is "" (到) or one of Absence.Reason. Students of the class not in
    `marks` keep what they had. Re-submitting the same day updates the same rows, never duplicates.
    """
    today = today or timezone.localdate()
    cal = calendar or WorkCalendar.load()
    if day is None:
        raise ValidationError({"date": "请选择点名日期。"})
    if day > today:
        raise ValidationError({"date": "点名日期不能晚于今天。"})
    if not cal.is_school_day(day):
        raise ValidationError({"date": f"{_fmt(day)}不是上课日（周末、节假日或寒暑假），无需点名。"})
    roster = {s.pk: s for s in roll_call_roster(school_class)}
    unknown = set(marks) - set(roster)
    if unknown:
        raise ValidationError({"marks": "提交的学生不在本班在读名单中，请刷新页面后重新点名。"})
    for sid, reason in marks.items():
        if reason and reason not in REASONS:
            raise ValidationError({"marks": f"学生“{roster[sid].name}”的出勤情况“{reason}”无效，请选择到、病假、事假或无故。"})

    roll_call, created = RollCall.objects.select_for_update(of=("self",)).order_by("pk").get_or_create(
        school_class=school_class, date=day, defaults={"recorded_by": actor})
    locked = Absence.objects.select_for_update(of=("self",)).order_by("pk")
    existing = {a.student_id: a for a in locked.filter(student_id__in=roster, date=day)}
    to_create, to_update, to_delete = [], [], []
    for sid, reason in marks.items():
        current = existing.get(sid)
        if not reason:
            if current is not None:
                to_delete.append(current.pk)
            continue
        if current is None:
            to_create.append(Absence(student_id=sid, date=day, reason=reason, school_class=school_class,
                                     roll_call=roll_call, source=Absence.Source.ROLL_CALL, recorded_by=actor))
        elif current.reason != reason or current.roll_call_id != roll_call.pk:
            current.reason, current.roll_call, current.recorded_by = reason, roll_call, actor
            current.source = Absence.Source.ROLL_CALL
            current.recorded_at = timezone.now()
            to_update.append(current)
    if to_delete:
        for absence in Absence.objects.filter(pk__in=to_delete):
            absence._history_user = actor
            absence.delete()  # one by one so the history keeps a "deleted" row
    if to_create:
        bulk_create_with_history(to_create, Absence, default_user=actor)
    if to_update:
        bulk_update_with_history(to_update, Absence, ["reason", "roll_call", "recorded_by", "source", "recorded_at"],
                                 default_user=actor)
    absent = Absence.objects.filter(student_id__in=roster, date=day).count()
    roll_call.present_count, roll_call.absent_count = len(roster) - absent, absent
    roll_call.recorded_by = actor
    roll_call._history_user = actor
    roll_call.save()
    evaluation = absences_evaluate(as_of=max(today, day), student_ids=list(roster), actor=actor, calendar=cal)
    return RollCallResult(roll_call=roll_call, created=created, absent=absent, present=len(roster) - absent,
                          evaluation=evaluation)


# ------------------------------------------------------------------ per-student entries
@dataclass
class EntryResult:
    days: list
    evaluation: Evaluation


@transaction.atomic
def absence_record(*, student, start, end, reason, actor, note="", today=None, calendar=None) -> EntryResult:
    """Record an absence of one student over a date range (one row per school day; existing days updated)."""
    today = today or timezone.localdate()
    cal = calendar or WorkCalendar.load()
    errors = {}
    if start is None:
        errors["start"] = "请填写开始日期。"
    if end is None:
        end = start
    if reason not in REASONS:
        errors["reason"] = "请选择缺勤原因：病假、事假或无故。"
    if start and end and end < start:
        errors["end"] = "结束日期不能早于开始日期。"
    if start and end and (end - start).days >= MAX_ENTRY_SPAN_DAYS:
        errors["end"] = f"一次最多登记 {MAX_ENTRY_SPAN_DAYS} 天，请分段登记。"
    if reason == Absence.Reason.UNEXCUSED and end and end > today:
        errors["end"] = "无故缺勤只能登记今天及以前的日期。"
    if len(note or "") > 200:
        errors["note"] = "备注不能超过 200 字。"
    if student.status != Student.Status.ENROLLED:
        errors["student"] = f"该学生学籍状态为“{student.get_status_display()}”，不能登记缺勤。"
    if errors:
        raise ValidationError(errors)
    days = cal.school_days(start, end)
    if not days:
        raise ValidationError({"start": "所选日期范围内没有上课日（周末、节假日和寒暑假不计）。"})
    locked = Absence.objects.select_for_update(of=("self",)).order_by("pk")
    existing = {a.date: a for a in locked.filter(student=student, date__in=days)}
    to_create, to_update = [], []
    now = timezone.now()
    for day in days:
        current = existing.get(day)
        if current is None:
            to_create.append(Absence(student=student, date=day, reason=reason, school_class_id=student.school_class_id,
                                     source=Absence.Source.ENTRY, note=note, recorded_by=actor))
        elif (current.reason, current.note) != (reason, note):
            current.reason, current.note, current.recorded_by, current.recorded_at = reason, note, actor, now
            current.source = Absence.Source.ENTRY
            to_update.append(current)
    if to_create:
        bulk_create_with_history(to_create, Absence, default_user=actor)
    if to_update:
        bulk_update_with_history(to_update, Absence, ["reason", "note", "recorded_by", "recorded_at", "source"],
                                 default_user=actor)
    evaluation = absences_evaluate(as_of=max(today, end), student_ids=[student.pk], actor=actor, calendar=cal)
    return EntryResult(days=days, evaluation=evaluation)


@transaction.atomic
def absence_delete(*, absence, actor, today=None, calendar=None) -> Evaluation:
    """Remove a wrongly recorded absence (the history keeps it) and re-evaluate the student."""
    today = today or timezone.localdate()
    student_id = absence.student_id
    absence._history_user = actor
    absence.delete()
    return absences_evaluate(as_of=today, student_ids=[student_id], actor=actor, calendar=calendar)
