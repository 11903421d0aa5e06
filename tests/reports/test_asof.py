import datetime

import pytest

from reports import asof
from tests import factories as f

from .history import EXPECTED, build

D = datetime.date
pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("day", sorted(EXPECTED))
def test_category_as_of_each_date_follows_the_history(world, day):
    build(world)
    got = {s.name: s.category for s in asof.students_as_of(world.office, day)}
    names = {k: getattr(world, k).name for k in EXPECTED[day]}
    assert {k: got[names[k]] for k in EXPECTED[day]} == EXPECTED[day]


def test_a_past_month_reads_the_same_after_later_changes(world):
    build(world)
    before = {s.pk: s.category for s in asof.students_as_of(world.office, D(2026, 10, 31))}
    # later history: a3 drops out again, a2 gets a new case; nothing before 10-31 changes
    from students.models import StatusChange

    from .history import status_change
    status_change(world.a3, StatusChange.Kind.DROP_OUT, D(2027, 1, 5), "enrolled", "dropped_out", world.office)
    after = {s.pk: s.category for s in asof.students_as_of(world.office, D(2026, 10, 31))}
    assert before == after
    assert asof.category_of(world.office, world.a3, D(2027, 1, 6)) == "dropout"


def test_each_child_in_exactly_one_category_and_counts_add_up(world):
    build(world)
    day = D(2026, 10, 31)
    rows = list(asof.students_as_of(world.office, day))
    assert len(rows) == len({r.pk for r in rows}) == 6
    counts = asof.counts_as_of(world.office, day)
    assert sum(n for (sid, cat), n in counts.items() if cat != "assisted") == 6
    assert counts[(world.school_a.pk, "dropout")] == 2
    assert counts[(world.school_a.pk, "deferred")] == 1


def test_assistance_is_a_list_beside_the_categories(world):
    build(world)
    assert [s.name for s in asof.students_as_of(world.office, D(2026, 10, 31), assisted=True)] == []
    assert [s.name for s in asof.students_as_of(world.office, D(2026, 11, 30), assisted=True)] == [world.b1.name]


def test_scope_is_the_acting_users(world):
    build(world)
    day = D(2026, 10, 31)
    assert {s.name for s in asof.students_as_of(world.principal_b, day)} == {world.b1.name}
    assert list(asof.students_as_of(world.nobody, day)) == []
    assert world.d1.name not in {s.name for s in asof.students_as_of(world.office, day)}


def test_dropout_after_days_is_a_setting(world, settings):
    build(world)
    settings.KONGCHUO = {**settings.KONGCHUO, "ROSTER_DROPOUT_AFTER_DAYS": 60}
    assert asof.category_of(world.office, world.a2, D(2026, 11, 10)) == "suspected"


def test_category_list_query_count_does_not_grow(world, django_assert_max_num_queries):
    build(world)
    day = D(2026, 10, 31)
    with django_assert_max_num_queries(3):
        small = len(list(asof.students_as_of(world.office, day, categories=["enrolled"])))
    for _ in range(15):
        f.StudentFactory(school_class=world.class_a31, village=world.v1)
    with django_assert_max_num_queries(3):
        big = len(list(asof.students_as_of(world.office, day, categories=["enrolled"])))
    assert big == small + 15


def test_ledger_page_reads_the_as_of_definition(world, client, monkeypatch):
    """三本台账 (students) shows the reports' categories: an open 劝返中 case is 疑似辍学, a month of it 辍学."""
    from django.urls import reverse
    from django.utils import timezone

    build(world)
    client.force_login(world.office)
    monkeypatch.setattr(timezone, "localdate", lambda *a: D(2026, 10, 20))
    suspected = client.get(reverse("students:discovery_ledgers") + "?book=suspected").context["rows"]
    assert {s.name for s, _, _ in suspected} == {world.a2.name}  # 劝返中 since 10-05; a1 is 辍学 (streak)
    monkeypatch.setattr(timezone, "localdate", lambda *a: D(2026, 11, 10))
    dropout = client.get(reverse("students:discovery_ledgers") + "?book=dropout").context["rows"]
    assert {s.name for s, _, _ in dropout} == {world.a2.name, world.a3.name}
