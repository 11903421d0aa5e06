"""A history across several months (2026-09 … 2027-01) used by the roster tests. Dates, not today's values."""
import datetime

from django.utils import timezone

from cases.models import (AssistanceRecord, Case, CaseEvent, Exemption, ExemptionStep, HomeVisit, TeachingPlan)
from students.models import StatusChange, Student
from students.models.discovery import AbsenceAlert, AbsenceEpisode, NonReturnEntry
from tests import factories as f

D = datetime.date


def at(day, hour=10):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def status_change(student, kind, day, before, after, actor):
    StatusChange.objects.create(student=student, kind=kind, date=day, reason="测试", status_before=before,
                                status_after=after, recorded_by=actor)
    Student.objects.filter(pk=student.pk).update(status=after)


def case_with(student, moves, actor):
    """moves: [(day, to_status, kind)]; the first is the opening."""
    case = Case.objects.create(student=student, school=student.school, trigger=Case.Trigger.TEACHER_REPORT,
                               status=moves[-1][1], opened_at=at(moves[0][0]))
    prev = ""
    for day, to_status, kind in moves:
        CaseEvent.objects.create(case=case, kind=kind, at=at(day), actor=actor, from_status=prev, to_status=to_status)
        prev = to_status
    return case


def build(world):
    """Returns a namespace of students with the story of each."""
    actor = world.office
    term1 = f.TermFactory(school_year=world.year, number=1, start_date=D(2026, 9, 1), end_date=D(2027, 1, 22),
                          vacation_start=D(2027, 1, 23), vacation_end=D(2027, 2, 20))
    s = world
    # a1: absent from 9-14; 疑似辍学 alert 9-21; 辍学 alert 10-19; back at school 11-10 (episode ended).
    ep = AbsenceEpisode.objects.create(student=s.a1, since=D(2026, 9, 14), last_absent_on=D(2026, 11, 9), days=40,
                                       level="dropout", is_open=False, ended_on=D(2026, 11, 10))
    AbsenceAlert.objects.create(episode=ep, student=s.a1, level="suspected", days=6, since=ep.since,
                                reached_on=D(2026, 9, 21))
    AbsenceAlert.objects.create(episode=ep, student=s.a1, level="dropout", days=23, since=ep.since,
                                reached_on=D(2026, 10, 19))
    # a2: a case 预警 9-20 → 劝返中 10-05 → 复学 11-20 (已劝返复学 this term; 辍学 after a month of 劝返).
    case_with(s.a2, [(D(2026, 9, 20), Case.Status.WARNING, CaseEvent.Kind.OPENED),
                     (D(2026, 10, 5), Case.Status.PERSUADING, CaseEvent.Kind.STATUS),
                     (D(2026, 11, 20), Case.Status.RETURNED, CaseEvent.Kind.RETURN)], actor)
    # a3: 学籍异动 辍学 on 10-15, 复学 on 12-10 (today's status says 在读: the past must still say 辍学).
    status_change(s.a3, StatusChange.Kind.DROP_OUT, D(2026, 10, 15), "enrolled", "dropped_out", actor)
    status_change(s.a3, StatusChange.Kind.RESUME, D(2026, 12, 10), "dropped_out", "enrolled", actor)
    # a4: 缓学 filed 10-10 for 10-10 … 2027-01-31; applied 09-25 (pending until filed).
    ex = Exemption.objects.create(student=s.a4, kind=Exemption.Kind.DEFERRAL, reason="病", guardian_name="赵父",
                                  application_file="x.pdf", assessment_kind="hospital", assessment_file="y.pdf",
                                  start_date=D(2026, 10, 10), end_date=D(2027, 1, 31), status=Exemption.Status.FILED,
                                  applied_by=actor, applied_at=at(D(2026, 9, 25)))
    ExemptionStep.objects.create(exemption=ex, step="apply", decision="submit", actor=actor, at=at(D(2026, 9, 25)))
    ExemptionStep.objects.create(exemption=ex, step="office", decision="approve", actor=actor, at=at(D(2026, 10, 10)))
    # b1: 未返校 at term start (9-02), returned 9-30; 资助 on 11-05. 送教上门 from 12-01.
    nr = NonReturnEntry.objects.create(term=term1, student=s.b1, school=s.school_b, returned_on=D(2026, 9, 30),
                                       status=NonReturnEntry.Status.RETURNED)
    NonReturnEntry.objects.filter(pk=nr.pk).update(created=at(D(2026, 9, 2)))
    AssistanceRecord.objects.create(student=s.b1, kind="two_free_one", date=D(2026, 11, 5), source="县财政",
                                    recorded_by=actor)
    plan = TeachingPlan.objects.create(student=s.b1, school=s.school_b, disability="肢体", goals="生活自理",
                                       schedule_days="1,3", start_date=D(2026, 12, 1), end_date=D(2027, 6, 30),
                                       created_by=actor)
    # c1: 未能联系 at a home visit 11-03 (unreachable → 疑似辍学 for 30 days), then 转出 12-20 (left).
    HomeVisit.objects.create(student=s.c1, visit_date=D(2026, 11, 3), people_met="无", findings="家中无人",
                             guardian_attitude=HomeVisit.Attitude.UNREACHABLE, created_by=actor)
    status_change(s.c1, StatusChange.Kind.TRANSFER_OUT, D(2026, 12, 20), "enrolled", "transferred", actor)
    return term1, plan


# category of each student as of each date (the one truth the tests check)
EXPECTED = {
    D(2026, 9, 10): {"a1": "enrolled", "a2": "enrolled", "a3": "enrolled", "a4": "enrolled", "b1": "not_returned",
                     "c1": "enrolled"},
    D(2026, 9, 30): {"a1": "suspected", "a2": "enrolled", "a3": "enrolled", "a4": "enrolled", "b1": "enrolled",
                     "c1": "enrolled"},
    D(2026, 10, 31): {"a1": "dropout", "a2": "suspected", "a3": "dropout", "a4": "deferred", "b1": "enrolled",
                      "c1": "enrolled"},
    D(2026, 11, 10): {"a1": "enrolled", "a2": "dropout", "a3": "dropout", "a4": "deferred", "b1": "enrolled",
                      "c1": "suspected"},
    D(2026, 11, 30): {"a1": "enrolled", "a2": "returned", "a3": "dropout", "a4": "deferred", "b1": "enrolled",
                      "c1": "suspected"},
    D(2026, 12, 31): {"a1": "enrolled", "a2": "returned", "a3": "enrolled", "a4": "deferred", "b1": "home_teaching",
                      "c1": "left"},
}
