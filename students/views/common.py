from django.contrib import messages
from django.core.exceptions import PermissionDenied

from kongchuo import access
from students import selectors


def require_can(user, action, obj=None):
    """The object is visible (fetched through a scoped queryset) but the role may not act on it → 403."""
    if not access.can(user, action, obj):
        raise PermissionDenied


def student_or_404(request, pk):
    return selectors.student_for(request.user, pk)


def flash_notes(request, obj):
    for note in getattr(obj, "identity_notes", []) or []:
        messages.info(request, note)
