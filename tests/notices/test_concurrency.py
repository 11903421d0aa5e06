"""Two school admins issuing at the same moment (PostgreSQL row locks; real threads and connections)."""

import pytest
from django.db import connection

from notices.models import Notice, NoticeCounter, NoticeKind
from notices.services import NoticeError, notice_issue
from tests.notices.conftest import FIXED_NOW
from tests.parallel import run_parallel

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")




def _issue_job(case, actor, guardian):
    return lambda: notice_issue(case=case, actor=actor, guardian=guardian, kind=NoticeKind.RETURN, now=FIXED_NOW)


def test_parallel_issuing_gives_gap_free_unique_numbers(transactional_db, world, make_case, guardian_of):
    from tests import factories as f

    students = [world.a1, world.a2, world.a3, world.a4] + [
        f.StudentFactory(name=f"并发{i}", school_class=world.class_a41, village=world.v1b) for i in range(4)]
    cases = [make_case(s) for s in students]
    jobs = [_issue_job(c, world.principal_a, guardian_of(c)) for c in cases]
    results = run_parallel(jobs)
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    seqs = sorted(Notice.objects.filter(school=world.school_a, year=2026).values_list("seq", flat=True))
    assert seqs == list(range(1, len(cases) + 1))
    assert NoticeCounter.objects.get(school=world.school_a, year=2026).last_number == len(cases)


def test_issuing_twice_at_once_on_one_case_gives_one_notice_and_a_chinese_message(transactional_db, world,
                                                                                   case_a1, guardian_of):
    from tests import factories as f
    from kongchuo.models import Role

    second_admin = f.UserFactory(username="principal_a2")
    f.RoleAssignmentFactory(user=second_admin, role=Role.SCHOOL_ADMIN, school=world.school_a)
    guardian = guardian_of(case_a1)
    results = run_parallel([_issue_job(case_a1, world.principal_a, guardian),
                             _issue_job(case_a1, second_admin, guardian)])
    notices = [r for r in results if isinstance(r, Notice)]
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(notices) == 1 and len(errors) == 1
    assert isinstance(errors[0], NoticeError) and "不能重复下达" in errors[0].message
    assert Notice.objects.filter(case=case_a1).count() == 1
    # the refused attempt used no number: the next notice of the school is 002
    assert NoticeCounter.objects.get(school=world.school_a, year=2026).last_number == 1
