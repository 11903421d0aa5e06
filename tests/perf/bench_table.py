"""The one table `make bench` prints: one line per figure, each with its budget and a baseline measured in the same
run. Any benchmark adds its figures with `record(...)`; tests/perf/conftest.py prints the table at the end.

    from tests.perf.bench_table import record
    record("search 1M students, p95 (ms)", 41.0, budget=100, baseline=3.2, baseline_label="raw SQL")
    record("import throughput (db rows/s)", 24000, budget=10000, higher_is_better=True, baseline=95000)

PASS means the value is within its budget (≤ budget, or ≥ budget with higher_is_better); ratio = value / baseline.
"""
import os
from dataclasses import dataclass

FIGURES = []


def scale():
    """KC_BENCH_SCALE: "small" (make bench SCALE=small, < 3 min) or "full" (default)."""
    return os.environ.get("KC_BENCH_SCALE", "full").strip().lower() or "full"


def is_small():
    return scale() == "small"


@dataclass
class Figure:
    name: str
    value: float
    budget: float | None
    baseline: float | None = None
    baseline_label: str = ""
    higher_is_better: bool = False
    note: str = ""

    @property
    def ratio(self):
        if not self.baseline:
            return None
        return self.value / self.baseline

    @property
    def passed(self):
        if self.budget is None:
            return True
        return self.value >= self.budget if self.higher_is_better else self.value <= self.budget


def record(name, value, *, budget=None, baseline=None, baseline_label="", higher_is_better=False, note=""):
    figure = Figure(name=name, value=float(value), budget=None if budget is None else float(budget),
                    baseline=None if baseline is None else float(baseline), baseline_label=baseline_label,
                    higher_is_better=higher_is_better, note=note)
    FIGURES.append(figure)
    return figure


def _num(value):
    if value is None:
        return "—"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def lines():
    """The table as text lines: header, one line per figure, then notes."""
    head = ["name", "value", "budget", "baseline", "ratio", "result"]
    rows = []
    for f in FIGURES:
        budget = "—" if f.budget is None else ("≥ " if f.higher_is_better else "≤ ") + _num(f.budget)
        baseline = _num(f.baseline) + (f" ({f.baseline_label})" if f.baseline_label and f.baseline is not None else "")
        ratio = "—" if f.ratio is None else f"{f.ratio:.2f}×"
        rows.append([f.name, _num(f.value), budget, baseline, ratio, "PASS" if f.passed else "FAIL"])
    widths = [max(len(str(r[i])) for r in [head] + rows) for i in range(len(head))]
    out = [" | ".join(str(c).ljust(w) for c, w in zip(head, widths)),
           "-+-".join("-" * w for w in widths)]
    out += [" | ".join(str(c).ljust(w) for c, w in zip(r, widths)) for r in rows]
    notes = [f"  * {f.name}: {f.note}" for f in FIGURES if f.note]
    return out + (["", "notes:"] + notes if notes else [])
