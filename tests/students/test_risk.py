"""Explainable risk level (students/risk.py): each point has a Chinese reason; many students in fixed queries."""
from datetime import date, timedelta

import pytest
from django.utils import timezone

from students import risk
from students.models import Absence, AbsenceEpisode, NonReturnEntry, Student, VulnerabilityFlag
from tests import factories as f


def flag(student, kind, **extra):
    return VulnerabilityFlag.objects.create(student=student, kind=kind, start_date=date(2026, 9, 1),
                                            source=VulnerabilityFlag.Source.SCHOOL, **extra)


@pytest.fixture(autouse=True)
def only_discovery_rules(monkeypatch):
    """Other apps' per-student signals (cases: home visits) are tested there; here the discovery rules alone."""
    monkeypatch.setattr(risk, "SIGNALS", [])


def test_no_signals_is_low(world):
    assessment = risk.assess(world.a1)
    assert (assessment.level, assessment.label, assessment.score, assessment.reasons) == ("low", "低", 0, [])
    assert assessment.summary == "无风险因素"


def test_flags_add_weighted_reasons(world):
    flag(world.a1, VulnerabilityFlag.Kind.ORPHAN)
    flag(world.a1, VulnerabilityFlag.Kind.LEFT_BEHIND_BOTH)
    flag(world.a1, VulnerabilityFlag.Kind.LEARNING)
    assessment = risk.assess(world.a1)
    assert assessment.score == 7 and assessment.level == "high" and assessment.label == "高"
    assert assessment.reasons[0] == (3, "重点关注：孤儿")
    assert (2, "重点关注：双亲留守") in assessment.reasons and (2, "重点关注：学困生") in assessment.reasons


def test_ended_flags_do_not_count(world):
    flag(world.a1, VulnerabilityFlag.Kind.POVERTY, end_date=date(2026, 10, 1))
    assert risk.assess(world.a1).score == 0


def test_disabled_flag_reason_names_type(world):
    flag(world.a1, VulnerabilityFlag.Kind.DISABLED, disability_type="hearing")
    assert risk.assess(world.a1).reasons == [(2, "重点关注：学生残疾（听力）")]


def test_single_parent_alone_is_low_two_flags_medium(world):
    flag(world.a1, VulnerabilityFlag.Kind.SINGLE_PARENT)
    assert risk.assess(world.a1).level == "low"
    flag(world.a1, VulnerabilityFlag.Kind.POVERTY)
    assert risk.assess(world.a1).level == "medium"


@pytest.mark.parametrize("days,points,level,text", [
    (2, 1, "low", "连续无故缺勤 2 个上课日"),
    (3, 4, "medium", "需班主任家访"),
    (6, 6, "high", "达到疑似辍学标准"),
])
def test_running_streak_points(world, days, points, level, text):
    AbsenceEpisode.objects.create(student=world.a1, since=date(2026, 11, 2), last_absent_on=date(2026, 11, 9),
                                  days=days)
    assessment = risk.assess(world.a1)
    assert assessment.reasons[0][0] == points and text in assessment.reasons[0][1]
    assert "自11月2日起" in assessment.reasons[0][1]
    assert assessment.level == level


def test_closed_episode_does_not_count(world):
    AbsenceEpisode.objects.create(student=world.a1, since=date(2026, 11, 2), last_absent_on=date(2026, 11, 9),
                                  days=8, is_open=False, ended_on=date(2026, 11, 10))
    assert risk.assess(world.a1).score == 0


def test_recent_unexcused_absences_count(world):
    today = timezone.localdate()
    for i in range(5):
        Absence.objects.create(student=world.a2, date=today - timedelta(days=2 * i + 1), reason="unexcused",
                               recorded_by=world.head_a)
    Absence.objects.create(student=world.a2, date=today - timedelta(days=45), reason="unexcused",
                           recorded_by=world.head_a)
    Absence.objects.create(student=world.a2, date=today - timedelta(days=1, weeks=1), reason="sick",
                           recorded_by=world.head_a)
    assert risk.assess(world.a2).reasons == [(2, "近 30 天累计无故缺勤 5 天")]


def test_open_non_return_entry_is_high(world):
    term = f.TermFactory(school_year=world.year)
    NonReturnEntry.objects.create(term=term, student=world.a1, school=world.school_a, whereabouts="working")
    assessment = risk.assess(world.a1)
    assert assessment.level == "high"
    assert assessment.reasons == [(6, "2026-2027 第一学期开学未返校，去向：外出务工")]


def test_dropout_status_is_high(world):
    world.a3.status = Student.Status.DROPPED_OUT
    assert risk.assess(world.a3).reasons == [(6, "学籍状态为辍学")]


def test_registered_per_student_signal_is_included(world, monkeypatch):
    monkeypatch.setattr(risk, "SIGNALS", [lambda student: [(3, "家访评估：辍学风险高")]])
    assessment = risk.assess(world.a1)
    assert assessment.level == "medium" and assessment.summary == "家访评估：辍学风险高（+3）"


def test_assess_many_uses_fixed_number_of_queries(world, django_assert_max_num_queries):
    students = [f.StudentFactory(school_class=world.class_a31) for _ in range(30)]
    for s in students[::3]:
        flag(s, VulnerabilityFlag.Kind.MIGRANT)
        AbsenceEpisode.objects.create(student=s, since=date(2026, 11, 2), last_absent_on=date(2026, 11, 4), days=3)
    with django_assert_max_num_queries(5):  # the students, flags, episodes, recent absences, 未返校
        result = risk.assess_many(Student.objects.filter(pk__in=[s.pk for s in students]))
    assert len(result) == 30
    assert result[students[0].pk].score == 5 and result[students[1].pk].score == 0


def test_assess_many_empty():
    assert risk.assess_many([]) == {}
