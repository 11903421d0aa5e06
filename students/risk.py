"""Explainable risk level (低/中/高) for a student: every point comes with a reason.

Other apps add signals with `register_signal` (e.g. cases adds home-visit findings in its AppConfig.ready),
so students never imports cases. The discovery work owns the rules here.
"""
from dataclasses import dataclass, field

LOW, MEDIUM, HIGH = "low", "medium", "high"
LEVEL_LABELS = {LOW: "低", MEDIUM: "中", HIGH: "高"}

SIGNALS = []  # fn(student) -> iterable of (points, reason)


def register_signal(fn):
    SIGNALS.append(fn)
    return fn


@dataclass
class RiskAssessment:
    level: str = LOW
    score: int = 0
    reasons: list = field(default_factory=list)  # [(points, reason text)]

    @property
    def label(self):
        return LEVEL_LABELS[self.level]


def level_for(score):
    if score >= 6:
        return HIGH
    if score >= 3:
        return MEDIUM
    return LOW


def assess(student) -> RiskAssessment:
    reasons = []
    for fn in SIGNALS:
        reasons.extend(fn(student))
    score = sum(points for points, _ in reasons)
    return RiskAssessment(level=level_for(score), score=score, reasons=sorted(reasons, key=lambda r: -r[0]))
