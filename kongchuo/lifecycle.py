"""The lifecycle layer's first brick: a move is applied only to the state the user saw (issue 9 "Races").

Every user-facing move (case status and tier, 销号 review, 缓学/免学 steps, notice 送达/作废) goes through
`guard(obj, expected)` first: it row-locks the object (SELECT … FOR UPDATE on PostgreSQL) and reloads it, then
compares the state the caller expected (`{"stage": "teacher"}`) with the current one. If another request moved
the object meanwhile, `StaleState` is raised with a Chinese message built by the owning app's describer from its
latest event row — who moved it, when, and to what ("个案已由王校长于2026-10-12 09:00上报到“学校”层级…").
Only then does the service check the move and the actor, save, and write its event row in the same transaction.
The loser of a double click therefore never makes a second move and never sees a 403.

Issue 11 grows this into the one apply function (table of moves, actor check, save, event row, announcement on
commit); the pieces here — lock, expected-state check, the stale message registry, the page hidden fields — are
the parts that function needs first.

The expected state, decided:
- **Pages always send it.** Forms render it as hidden fields `expected_<field>` (`add_expected_fields`); a page
  POST without it (a page cached before this change, a hand-made request) is refused with `ERR_PAGE_EXPIRED`:
  we cannot know what the user saw, so we do not guess "whatever it is now".
- **Services take `expected=None`** for API/CLI/system callers (signals, deadlines, seeders) that act on the state
  they read under the same lock: no expectation, the move is checked against the current state only.

kongchuo imports nothing from the apps: each app registers its models' describers from `AppConfig.ready`.
"""
from typing import Callable, Mapping

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils import timezone

FIELD_PREFIX = "expected_"
ERR_PAGE_EXPIRED = "页面已过期（提交内容中没有页面显示时的状态），请刷新页面、确认最新情况后重新办理。"
ERR_STALE = "{what}已被他人变更（现为“{current}”），您的操作未执行。请查看最新情况后再办理。"
STALE_TAIL = "您的操作未执行，请查看最新情况后再办理。"

_DESCRIBERS: dict = {}


class StaleState(ValidationError):
    """The object is no longer in the state the caller expected: a normal refusal with a Chinese message.

    Not a permission problem (never a 403) and not a bad input (no form field): pages show it as a message and
    send the user back to the object's page, where they see what happened."""

    def __init__(self, message, *, field=None, expected=None, current=None):
        super().__init__(message, code="stale_state")
        self.field, self.expected, self.current = field, expected, current

    def __str__(self):
        return self.message


def register(model, describe: Callable):
    """`describe(obj, field) -> str`: why `obj.<field>` is no longer what the page showed — who, when, what —
    from the app's own event rows (CaseEvent, ExemptionStep, NoticeService …). Called from AppConfig.ready."""
    _DESCRIBERS[model._meta.label_lower] = describe


def when(dt):
    """The "某时" of a stale message: local time to the minute."""
    return f"{timezone.localtime(dt):%Y-%m-%d %H:%M}" if dt else "刚才"


def who(user):
    """The "某某" of a stale message: the person's display name, or 系统 for automatic moves."""
    if user is None:
        return "系统"
    return getattr(user, "display_name", None) or str(user)


def _display(obj, field):
    getter = getattr(obj, f"get_{field}_display", None)
    return getter() if getter else str(getattr(obj, field) or "")


def stale_message(obj, field):
    describe = _DESCRIBERS.get(obj._meta.label_lower)
    message = describe(obj, field) if describe is not None else ""
    return message or ERR_STALE.format(what=obj._meta.verbose_name, current=_display(obj, field))


# ---------------------------------------------------------------------------------------------- services
def lock(obj):
    """Row-lock `obj` until the transaction ends and reload it, so every check sees the committed state.

    On PostgreSQL a second request on the same row waits here until the first commits. (SQLite, the demo
    database, serialises writers per database instead.) Must run inside transaction.atomic."""
    model = type(obj)
    list(model._base_manager.select_for_update().filter(pk=obj.pk).order_by().values_list("pk"))
    obj.refresh_from_db()
    return obj


def check(obj, expected: Mapping | None):
    """Raise StaleState unless each `field: value` of `expected` still holds on `obj`. None: no expectation."""
    if expected is None:
        return
    for field, value in expected.items():
        current = getattr(obj, field)
        if str(current if current is not None else "") != str(value if value is not None else ""):
            raise StaleState(stale_message(obj, field), field=field, expected=value, current=current)


def guard(obj, expected: Mapping | None = None):
    """What every move does first: lock the row, reload it, check the expected state. Returns `obj`."""
    lock(obj)
    check(obj, expected)
    return obj


# ---------------------------------------------------------------------------------------------- pages
def add_expected_fields(form, obj, fields):
    """Render the state shown on the page as hidden fields `expected_<field>` of `form` (any Django form)."""
    for field in fields:
        form.fields[FIELD_PREFIX + field] = forms.CharField(widget=forms.HiddenInput, required=False,
                                                            initial=getattr(obj, field))
    return form


def expected_from(data, fields):
    """The expected state a page POST carries (`request.POST`); StaleState(ERR_PAGE_EXPIRED) if it has none."""
    expected = {}
    for field in fields:
        value = data.get(FIELD_PREFIX + field)
        if value is None or not str(value).strip():
            raise StaleState(ERR_PAGE_EXPIRED, field=field)
        expected[field] = str(value).strip()[:40]
    return expected


def posted_is_stale(data, obj, fields):
    """Before any role or state check of a page POST: the StaleState when the POST carries an expected state
    that no longer holds (read without a lock; the service checks again under it), else None."""
    try:
        check(obj, {f: data[FIELD_PREFIX + f] for f in fields if data.get(FIELD_PREFIX + f)})
    except StaleState as exc:
        return exc
    return None


def refuse(request, exc, to, *args):
    """Show a StaleState as a normal warning message and go back to the object's page (302, never 403/500)."""
    messages.warning(request, exc.message)
    return redirect(to, *args)
