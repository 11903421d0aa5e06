"""Helpers every registry service uses: permission checks, history user, confirmation of warnings."""
from django.core.exceptions import PermissionDenied, ValidationError

from kongchuo import access


class NeedsConfirmation(ValidationError):
    """The input is valid but disagrees with itself (e.g. sex in the ID number): the user must confirm."""

    def __init__(self, warnings):
        self.warnings = list(warnings)
        super().__init__("；".join(self.warnings) + "。请核对；确认无误请勾选“已核对，按填写内容保存”后再提交。",
                         code="needs_confirmation")


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
