"""Fixtures for the notices tests: a case of a1 (school A) with a guardian and two home visits."""
import datetime

import pytest
from django.utils import timezone

from cases.models import Case
from cases.services import case_open, case_transition, visit_log
from tests import factories as f

FIXED_NOW = timezone.make_aware(datetime.datetime(2026, 10, 12, 9, 0))  # a Monday in term


def add_visits(case, actor, dates):
    for d in dates:
        visit_log(student=case.student, case=case, actor=actor, visit_date=d, mode="home", people_met="父亲",
                  findings="不愿返校", guardian_attitude="opposed", now=FIXED_NOW)


@pytest.fixture
def make_case(world):
    """make_case(student, guardian=True, visits=2) → a case in 劝返中 with a guardian and visits."""

    def make(student=None, *, guardian=True, visits=2, actor=None):
        student = student or world.a1
        actor = actor or world.principal_a
        if guardian:
            f.FamilyMemberFactory(student=student, name=f"{student.name}之父", relation="父亲")
        case = case_open(student=student, trigger=Case.Trigger.TEACHER_REPORT, actor=actor, note="测试立案",
                         dropout_date=datetime.date(2026, 9, 1), now=FIXED_NOW)
        case_transition(case=case, to_status=Case.Status.PERSUADING, actor=actor, reason="开始劝返", now=FIXED_NOW)
        add_visits(case, actor, [datetime.date(2026, 9, 5) + datetime.timedelta(days=7 * i) for i in range(visits)])
        case.refresh_from_db()
        return case

    return make


@pytest.fixture
def case_a1(make_case):
    return make_case()


@pytest.fixture
def guardian_of():
    return lambda case: case.student.family_members.filter(is_guardian=True).first()
