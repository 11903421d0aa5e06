"""Fixtures for the cases tests: a case of student a1 (school A, village v1) in any status."""
import datetime

import pytest
from django.utils import timezone

from cases.models import Case
from cases.services import case_open
from tests import factories as f

FIXED_NOW = timezone.make_aware(datetime.datetime(2026, 10, 12, 9, 0))  # a Monday in term


@pytest.fixture
def make_case(world):
    """make_case(student=world.a1, status=..., stage=..., **fields) → a case put directly in that state."""

    def make(student=None, status=Case.Status.WARNING, stage=None, actor=None, reasons=(), now=None, **fields):
        student = student or world.a1
        case = case_open(student=student, trigger=Case.Trigger.TEACHER_REPORT, actor=actor or world.principal_a,
                         reasons=reasons, note="测试立案", now=now) if actor is not False else None
        updates = {"status": status, **fields}
        if stage:
            updates["stage"] = stage
        Case.objects.filter(pk=case.pk).update(**updates)
        case.refresh_from_db()
        return case

    return make


@pytest.fixture
def subdistrict_a(world):
    return world.subdistrict


@pytest.fixture
def term(world):
    return f.TermFactory(school_year=world.year)
