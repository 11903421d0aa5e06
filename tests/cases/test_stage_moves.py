"""The tier stage (教师 → 学校 → 教育办 → 办事处) changes in one place: cases.services.lifecycle._hand_to.

Every service that moves a case between tiers (escalate, return-down, the stage a status move implies, opening)
goes through it under the row lock; this test parses the application code and fails on any other assignment to
`.stage`, any `Case(stage=…)` and any `.update(stage=…)` (tests, migrations and factories are not scanned).
"""
import ast
import pathlib

from django.conf import settings

from cases.services import lifecycle

APPS = ("cases", "students", "notices", "reports", "kongchuo")
ALLOWED = {("cases/services/lifecycle.py", "_hand_to")}


class _StageWrites(ast.NodeVisitor):
    """Collects (function, line) of every write of `.stage`, attributed to the innermost enclosing function."""

    def __init__(self):
        self.found, self.function = [], "<module>"

    def visit_FunctionDef(self, node):
        outer, self.function = self.function, node.name
        self.generic_visit(node)
        self.function = outer

    visit_AsyncFunctionDef = visit_FunctionDef

    def _targets(self, targets, node):
        if any(isinstance(e, ast.Attribute) and e.attr == "stage" for t in targets for e in ast.walk(t)):
            self.found.append((self.function, node.lineno))
        self.generic_visit(node)

    def visit_Assign(self, node):
        self._targets(node.targets, node)

    def visit_AugAssign(self, node):
        self._targets([node.target], node)

    visit_AnnAssign = visit_AugAssign

    def visit_Call(self, node):
        callee = node.func
        called = callee.attr if isinstance(callee, ast.Attribute) else getattr(callee, "id", "")
        if called in WRITING_CALLS and any(k.arg == "stage" for k in node.keywords):
            self.found.append((self.function, node.lineno))
        self.generic_visit(node)


WRITING_CALLS = ("Case", "update", "create", "bulk_update", "update_or_create", "get_or_create")


def _stage_writes():
    base = pathlib.Path(settings.BASE_DIR)
    for app in APPS:
        for path in sorted((base / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            visitor = _StageWrites()
            visitor.visit(ast.parse(path.read_text(encoding="utf-8")))
            rel = path.relative_to(base).as_posix()
            for function, line in visitor.found:
                yield rel, function, line


def test_case_stage_is_written_only_by_hand_to():
    writes = set(_stage_writes())
    outside = sorted(w for w in writes if (w[0], w[1]) not in ALLOWED)
    assert not outside, f"Case.stage set outside _hand_to: {outside}"
    assert {(w[0], w[1]) for w in writes} == ALLOWED  # the scan does find the one place


def test_hand_to_remembers_the_first_responsible_person_of_each_tier(world):
    from cases.models import Case

    case = Case(student=world.a1)
    lifecycle._hand_to(case, Case.Stage.SCHOOL, world.principal_a)
    lifecycle._hand_to(case, Case.Stage.SCHOOL, world.gradelead_a)
    assert (case.stage, case.owner, case.responsible_school) == ("school", world.gradelead_a, world.principal_a)
