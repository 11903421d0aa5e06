"""Helpers shared by the case services: errors, clock, deadlines, event rows, notifications."""
import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from cases.models import Case, CaseEvent, Notification, TierPolicy
from kongchuo import lifecycle
from kongchuo.workdays import WorkCalendar


class CaseError(ValidationError):
    """A user-facing refusal with a clear Chinese message (never a 500). Views show `message`."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field

    def __str__(self):
        return self.message


def now_or(now):
    return now or timezone.now()


def today_of(now):
    return timezone.localdate(now_or(now))


def end_of_day(d):
    return timezone.make_aware(datetime.datetime.combine(d, datetime.time(23, 59, 59)))


def stage_due_at(stage, now=None, calendar=None):
    """End of the working day `deadline_workdays` after today (working calendar: weekends, holidays, 调休)."""
    policy = TierPolicy.for_stage(stage)
    calendar = calendar or WorkCalendar.load()
    return end_of_day(calendar.add_workdays(today_of(now), policy.deadline_workdays))


def jsonable(value):
    if isinstance(value, Model):
        return {"id": value.pk, "label": str(value)}
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def write_event(*, case, kind, actor, now=None, reason="", from_status="", to_status="", from_stage="",
                to_stage="", key="", **details):
    return CaseEvent.objects.create(
        case=case, kind=kind, actor=actor if getattr(actor, "pk", None) else None, at=now_or(now), reason=reason,
        from_status=from_status, to_status=to_status, from_stage=from_stage, to_stage=to_stage, key=key[:120],
        details=jsonable(details))


def has_event_key(case, key):
    return CaseEvent.objects.filter(case=case, key=key[:120]).exists()


def safe_reverse(name, *args):
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def case_url(case):
    return safe_reverse("cases:detail", case.pk)


@transaction.atomic
def notification_send(*, recipient, title, body="", case=None, url="", key="", now=None):
    """Put a message in `recipient`'s inbox. With `key`, the same message is sent only once (idempotent)."""
    if recipient is None:
        return None
    if not url and case is not None:
        url = case_url(case)
    if key and Notification.objects.filter(recipient=recipient, key=key[:120]).exists():
        return None
    try:
        with transaction.atomic():
            return Notification.objects.create(recipient=recipient, title=title[:200], body=body, case=case, url=url,
                                               key=key[:120], created_at=now_or(now))
    except IntegrityError:  # a concurrent run sent it first
        return None


def lock_case(case, expected=None):
    """Row-lock the case (PostgreSQL) and reload it so checks see the committed state; with `expected`
    ({"stage": …} / {"status": …}, the state the page showed) raise StaleState if another request moved it."""
    return lifecycle.guard(case, expected)


RESPONSIBLE_FIELD = {
    Case.Stage.TEACHER: "responsible_teacher",
    Case.Stage.SCHOOL: "responsible_school",
    Case.Stage.OFFICE: "responsible_office",
    Case.Stage.SUBDISTRICT: "responsible_subdistrict",
}
