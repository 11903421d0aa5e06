"""Registry signals open or escalate cases automatically — idempotently."""
import datetime
from types import SimpleNamespace

from cases.models import Case, CaseEvent, Notification
from cases.services import case_open, case_record_return, case_start_retention
from students import signals
from students.models import Student
from tests import factories as f
from tests.cases.conftest import FIXED_NOW

S = Case.Status
SINCE = datetime.date(2026, 10, 5)


def _absence(student, level, days=3):
    signals.absence_threshold_reached.send(sender=Student, student=student, level=level, days=days, since=SINCE,
                                           actor=None)


def test_absence_alert_opens_case_and_alerts_teachers(world):
    _absence(world.a1, "alert")
    case = Case.objects.get(student=world.a1)
    assert case.trigger == Case.Trigger.ABSENCE and case.status == S.WARNING and case.stage == Case.Stage.TEACHER
    assert case.owner == world.teacher_a and case.opened_by is None
    assert case.events.filter(kind=CaseEvent.Kind.SIGNAL, key=f"absence:alert:{SINCE}").count() == 1
    # the 班主任 is asked to visit as well as the 包保 teacher who owns the case
    assert Notification.objects.filter(recipient=world.head_a, title__startswith="缺勤预警").exists()
    assert Notification.objects.filter(recipient=world.teacher_a, case=case).exists()


def test_absence_same_signal_twice_is_one_case_one_event(world):
    _absence(world.a1, "alert")
    _absence(world.a1, "alert")
    assert Case.objects.filter(student=world.a1).count() == 1
    assert CaseEvent.objects.filter(kind=CaseEvent.Kind.SIGNAL).count() == 1


def test_absence_suspected_escalates_to_school_and_dropout_to_office(world):
    _absence(world.a1, "alert")
    _absence(world.a1, "suspected", days=5)
    case = Case.objects.get(student=world.a1)
    assert case.stage == Case.Stage.SCHOOL
    _absence(world.a1, "dropout", days=22)
    case.refresh_from_db()
    assert case.stage == Case.Stage.OFFICE and case.dropout_date == SINCE
    assert case.events.filter(kind=CaseEvent.Kind.ESCALATED, actor__isnull=True).count() == 2
    _absence(world.a1, "dropout", days=22)  # repeated: nothing more
    assert case.events.filter(kind=CaseEvent.Kind.ESCALATED).count() == 2


def test_absence_after_return_reopens_persuasion(world, term):
    case = case_open(student=world.a1, trigger=Case.Trigger.TEACHER_REPORT, actor=world.head_a, now=FIXED_NOW)
    case_record_return(case=case, actor=world.head_a, return_date=FIXED_NOW.date(), placement="original",
                       now=FIXED_NOW)
    case_start_retention(case=case, actor=world.head_a, mentor=world.teacher_a, now=FIXED_NOW)
    _absence(world.a1, "suspected", days=5)
    case.refresh_from_db()
    assert case.status == S.PERSUADING and case.stage_due_at is not None
    assert not case.followups.filter(done_on__isnull=True, cancelled=False).exists()  # pending ones cancelled


def test_non_return_opens_case_with_whereabouts_once(world):
    entry = SimpleNamespace(pk=77, whereabouts="随父母去上海")
    for _ in range(2):
        signals.non_return_recorded.send(sender=Student, student=world.a2, entry=entry, actor=world.principal_a)
    case = Case.objects.get(student=world.a2)
    assert case.trigger == Case.Trigger.NOT_RETURNED and case.whereabouts == "随父母去上海"
    assert case.opened_by == world.principal_a
    assert case.events.filter(kind=CaseEvent.Kind.SIGNAL).count() == 1


def test_population_candidate_opens_never_enrolled_case_at_office(world):
    child = f.StudentFactory(name="失学儿童", school_class=world.class_c31, village=world.v1)
    Student.objects.filter(pk=child.pk).update(school=None, grade=None, school_class=None,
                                               status=Student.Status.NOT_ENROLLED)
    child.refresh_from_db()
    candidate = SimpleNamespace(pk=5)
    signals.population_candidate_confirmed.send(sender=Student, student=child, candidate=candidate, actor=world.village)
    signals.population_candidate_confirmed.send(sender=Student, student=child, candidate=candidate, actor=world.village)
    case = Case.objects.get(student=child)
    assert case.trigger == Case.Trigger.NEVER_ENROLLED and case.stage == Case.Stage.OFFICE
    assert case.owner == world.office
    assert Case.objects.filter(student=child).count() == 1


def test_signal_on_existing_open_case_adds_event_only(world):
    case = case_open(student=world.a1, trigger=Case.Trigger.TEACHER_REPORT, actor=world.head_a, now=FIXED_NOW)
    _absence(world.a1, "alert")
    assert Case.objects.filter(student=world.a1).count() == 1
    assert case.events.filter(kind=CaseEvent.Kind.SIGNAL).count() == 1
