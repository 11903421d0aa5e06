"""Helpers every registry service uses: permission checks, history user, confirmation of warnings."""
from django.core.exceptions import PermissionDenied, ValidationError

from kongchuo import access


class NeedsConfirmation(ValidationError):
    """The input is valid but disagrees with itself (e.g. sex in the ID number) or with common sense (an age
    outside the grade's range): the user must confirm. `reason_required`: the confirmation needs a written
    reason (kept as the history row's change reason); `reason_missing`: it was confirmed without one."""

    def __init__(self, warnings, *, reason_required=False, reason_missing=False):
        self.warnings = list(warnings)
        self.reason_required = reason_required
        self.reason_missing = reason_missing
        ask = "请核对；确认无误请勾选“已核对，按填写内容保存”" + ("并填写核对说明" if reason_required else "") + "后再提交。"
        super().__init__("；".join(self.warnings) + "。" + ask, code="needs_confirmation")


def require(actor, action, obj=None, message="您没有权限进行此操作。"):
    """actor None = the system (imports, scheduled checks); a user must be allowed by kongchuo.access."""
    if actor is None:
        return
    if not access.can(actor, action, obj):
        raise PermissionDenied(message)


def stamp(instance, actor):
    """Make django-simple-history record who made the change."""
    if actor is not None:
        instance._history_user = actor
    return instance
