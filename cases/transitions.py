"""THE case lifecycle: one transition table (DESIGN.md "State changes in one place").

Each move names the access action that allows a person to make it (kongchuo/access.py decides who holds
it), whether the system (actor None: signals, deadlines) may make it, and — for moves that need more data
than a reason — the only service allowed to make it. `cases.services.lifecycle.case_transition` applies it.

    预警 → 劝返中 → 通知已送达 → 上报管理区 → 已复学 → 保学跟踪 → 销号
    closes: 转学已确认, 死亡, 缓学/免学已批准, 超龄/毕业; 缓学 pauses; any close can be reopened.
"""
from dataclasses import dataclass

from cases.models import Case

S = Case.Status


@dataclass(frozen=True)
class Move:
    source: str
    target: str
    label: str
    action: str          # access.ACTIONS key a person needs (object-scoped)
    system: bool = False  # may the system (actor=None) make it
    service: str = ""     # when set, only this service may make the move (it collects the data the move needs)


PRE_RETURN = (S.WARNING, S.PERSUADING, S.NOTICE_SERVED, S.REPORTED)
OPEN = PRE_RETURN + (S.RETURNED, S.RETENTION, S.PAUSED)

TABLE = [
    Move(S.WARNING, S.PERSUADING, "开始劝返", "case.act", system=True),
    Move(S.PAUSED, S.PERSUADING, "缓学期满，恢复劝返", "case.act", system=True),
    Move(S.RETURNED, S.PERSUADING, "再次流失，重新劝返", "case.act", system=True),
    Move(S.RETENTION, S.PERSUADING, "再次流失，重新劝返", "case.act", system=True),
    Move(S.WARNING, S.NOTICE_SERVED, "劝返通知书已送达", "case.serve_notice", system=True),
    Move(S.PERSUADING, S.NOTICE_SERVED, "劝返通知书已送达", "case.serve_notice", system=True),
    Move(S.NOTICE_SERVED, S.REPORTED, "逾期未返校，上报管理区", "case.report", system=True),
    Move(S.PERSUADING, S.REPORTED, "劝返无效，上报管理区", "case.report"),
    *[Move(s, S.RETURNED, "登记复学", "case.record_return", service="case_record_return")
      for s in PRE_RETURN + (S.PAUSED,)],
    Move(S.RETURNED, S.RETENTION, "开始保学跟踪", "case.retention", service="case_start_retention"),
    Move(S.RETENTION, S.CLOSED, "审核通过，销号", "case.review_close", service="case_closure_review"),
    Move(S.WARNING, S.CLOSED, "预警解除，审核销号", "case.review_close", service="case_closure_review"),
    # The system may make these closes when the registry records the fact (学籍异动: 转出已确认, 死亡, 毕业).
    *[Move(s, S.CLOSED_TRANSFER, "转学已确认", "case.close_special", system=True) for s in OPEN],
    *[Move(s, S.CLOSED_DEATH, "死亡销案", "case.close_special", system=True) for s in OPEN],
    *[Move(s, S.CLOSED_AGED_OUT, "超龄/毕业", "case.close_special", system=True) for s in OPEN],
    *[Move(s, S.CLOSED_EXEMPT, "免学已备案", "exemption.file", service="exemption_decide")
      for s in PRE_RETURN + (S.PAUSED,)],
    *[Move(s, S.PAUSED, "缓学已备案，暂停劝返", "exemption.file", service="exemption_decide") for s in PRE_RETURN],
    *[Move(s, S.PERSUADING, "重新打开个案", "case.reopen") for s in Case.CLOSED_STATUSES],
]

MOVES = {(m.source, m.target): m for m in TABLE}
assert len(MOVES) == len(TABLE), "duplicate move in the transition table"


def move_for(source, target):
    return MOVES.get((source, target))


def moves_from(source):
    return [m for m in TABLE if m.source == source]


def label(status):
    return S(status).label
