"""Explainable risk level (低/中/高) for a student: every point comes with a Chinese reason.

Rules (points; the level is 高 at 6 or more, 中 at 3 or more, else 低):
- vulnerability flags in force (VulnerabilityFlag without end date), weights in FLAG_POINTS;
- the running unexcused absence streak (open AbsenceEpisode): 1–2 days 1, at the alert threshold 4,
  at the 疑似辍学 threshold 6;
- unexcused absence days in the last RECENT_DAYS calendar days: 2–4 days 1, 5 or more 2;
- an open 未返校 entry (term-start check) 6;
- 学籍状态 辍学 6, 转出待确认 2.

Other apps add signals without students importing them (cases registers home-visit findings in its
AppConfig.ready):
- `register_signal(fn)`: fn(student) -> iterable of (points, reason) — simple, one student at a time;
- `register_bulk_signal(fn)`: fn(students) -> {student_pk: [(points, reason), …]} — for list pages:
  `assess_many(students)` calls it once for the whole page, so a page costs a fixed number of queries.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count
from django.utils import timezone

LOW, MEDIUM, HIGH = "low", "medium", "high"
LEVEL_LABELS = {LOW: "低", MEDIUM: "中", HIGH: "高"}
LEVEL_CSS = {LOW: "success", MEDIUM: "warning", HIGH: "danger"}

SIGNALS = []       # fn(student) -> iterable of (points, reason)
BULK_SIGNALS = []  # fn(students) -> {pk: [(points, reason)]}

RECENT_DAYS = 30

# VulnerabilityFlag.Kind value → points (SPEC §3, seed 四(二)2: the priority groups).
FLAG_POINTS = {
    "orphan": 3,            # 孤儿
    "unsupported": 3,       # 事实无人抚养
    "left_behind_both": 2,  # 双亲留守
    "poverty": 2,           # 脱贫户/监测户（建档立卡）
    "disabled": 2,          # 学生残疾
    "learning": 2,          # 学困生
    "single_parent": 1,     # 单亲家庭
    "left_behind_one": 1,   # 单亲留守
    "parent_disabled": 1,   # 家长残疾
    "other_guardian": 1,    # 由其他监护人抚养
    "migrant": 1,           # 流动/随迁子女
}


def register_signal(fn):
    SIGNALS.append(fn)
    return fn


def register_bulk_signal(fn):
    BULK_SIGNALS.append(fn)
    return fn


@dataclass
class RiskAssessment:
    level: str = LOW
    score: int = 0
    reasons: list = field(default_factory=list)  # [(points, reason text)], highest first

    @property
    def label(self):
        return LEVEL_LABELS[self.level]

    @property
    def css(self):
        return LEVEL_CSS[self.level]

    @property
    def summary(self):
        return "；".join(f"{reason}（+{points}）" for points, reason in self.reasons) or "无风险因素"


def level_for(score):
    if score >= 6:
        return HIGH
    if score >= 3:
        return MEDIUM
    return LOW


def _fmt(d):
    return f"{d.month}月{d.day}日"


# ------------------------------------------------------------------ the discovery rules (bulk)
@register_bulk_signal
def flag_rule(students):
    from students.models import VulnerabilityFlag

    out = defaultdict(list)
    flags = (VulnerabilityFlag.objects.filter(student__in=[s.pk for s in students], end_date__isnull=True)
             .only("student_id", "kind", "disability_type"))
    for flag in flags:
        points = FLAG_POINTS.get(flag.kind, 1)
        out[flag.student_id].append((points, f"重点关注：{flag.label}"))
    return out


@register_bulk_signal
def absence_rule(students, *, today=None):
    from django.conf import settings

    from students.models.discovery import Absence, AbsenceEpisode

    cfg = settings.KONGCHUO
    today = today or timezone.localdate()
    ids = [s.pk for s in students]
    out = defaultdict(list)
    for ep in AbsenceEpisode.objects.filter(student_id__in=ids, is_open=True).only("student_id", "days", "since"):
        if ep.days >= cfg["ABSENCE_SUSPECTED_DAYS"]:
            points, note = 6, "，达到疑似辍学标准"
        elif ep.days >= cfg["ABSENCE_ALERT_DAYS"]:
            points, note = 4, "，需班主任家访"
        else:
            points, note = 1, ""
        out[ep.student_id].append((points, f"自{_fmt(ep.since)}起连续无故缺勤 {ep.days} 个上课日{note}"))
    recent = (Absence.objects.filter(student_id__in=ids, reason=Absence.Reason.UNEXCUSED,
                                     date__gt=today - timedelta(days=RECENT_DAYS), date__lte=today)
              .values("student_id").annotate(n=Count("pk")))
    for row in recent:
        n = row["n"]
        if n >= 5:
            out[row["student_id"]].append((2, f"近 {RECENT_DAYS} 天累计无故缺勤 {n} 天"))
        elif n >= 2:
            out[row["student_id"]].append((1, f"近 {RECENT_DAYS} 天累计无故缺勤 {n} 天"))
    return out


@register_bulk_signal
def non_return_rule(students):
    from students.models.discovery import NonReturnEntry

    out = defaultdict(list)
    for entry in (NonReturnEntry.objects.filter(student__in=[s.pk for s in students],
                                                status__in=NonReturnEntry.OPEN_STATUSES)
                  .select_related("term__school_year")):
        where = f"，去向：{entry.get_whereabouts_display()}" if entry.whereabouts else "，去向待核实"
        out[entry.student_id].append((6, f"{entry.term}开学未返校{where}"))
    return out


@register_bulk_signal
def status_rule(students):
    from students.models import Student

    out = defaultdict(list)
    for s in students:
        if s.status == Student.Status.DROPPED_OUT:
            out[s.pk].append((6, "学籍状态为辍学"))
        elif s.status == Student.Status.TRANSFER_PENDING:
            out[s.pk].append((2, "已办转出，接收学校尚未确认"))
    return out


# ------------------------------------------------------------------ assessment
def _assessment(reasons):
    score = sum(points for points, _ in reasons)
    return RiskAssessment(level=level_for(score), score=score, reasons=sorted(reasons, key=lambda r: -r[0]))


def assess_many(students) -> dict:
    """{student.pk: RiskAssessment} for many students with a fixed number of queries (one per bulk signal)."""
    students = list(students)
    reasons = {s.pk: [] for s in students}
    if not students:
        return {}
    for fn in BULK_SIGNALS:
        for pk, items in fn(students).items():
            if pk in reasons:
                reasons[pk].extend(items)
    for fn in SIGNALS:
        for s in students:
            reasons[s.pk].extend(fn(s))
    return {pk: _assessment(items) for pk, items in reasons.items()}


def assess(student) -> RiskAssessment:
    return assess_many([student])[student.pk]
