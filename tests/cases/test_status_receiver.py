"""A 学籍异动 recorded in the registry (转出已确认, 死亡, 毕业) closes the student's open case through the table."""
import pytest

from cases.models import Case, CaseEvent
from students import signals
from students.models import StatusChange


def _announce(student, status_after, kind):
    signals.student_status_changed.send(sender=StatusChange, student=student, change=None, kind=kind,
                                        status_before="enrolled", status_after=status_after, actor=None)


@pytest.mark.parametrize("status_after,kind,closed_as", [
    ("transferred", "transfer_confirmed", Case.Status.CLOSED_TRANSFER),
    ("deceased", "death", Case.Status.CLOSED_DEATH),
    ("graduated", "graduate", Case.Status.CLOSED_AGED_OUT),
])
def test_status_change_closes_open_case_with_event(world, make_case, status_after, kind, closed_as):
    case = make_case(status=Case.Status.PERSUADING)
    _announce(world.a1, status_after, kind)
    case.refresh_from_db()
    assert case.status == closed_as
    event = CaseEvent.objects.filter(case=case).order_by("-pk").first()
    assert event.actor is None and "学籍异动" in event.reason


def test_status_change_to_suspension_keeps_case_open(world, make_case):
    case = make_case(status=Case.Status.PERSUADING)
    _announce(world.a1, "suspended", "suspend")
    case.refresh_from_db()
    assert case.status == Case.Status.PERSUADING


def test_status_change_twice_closes_once(world, make_case):
    case = make_case(status=Case.Status.WARNING)
    _announce(world.a1, "deceased", "death")
    events = CaseEvent.objects.filter(case=case).count()
    _announce(world.a1, "deceased", "death")
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED_DEATH
    assert CaseEvent.objects.filter(case=case).count() == events
