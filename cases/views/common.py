"""Helpers for the cases views: run a service and turn its refusal into a form error."""
from django.core.exceptions import PermissionDenied
from django.db.models import Q

from cases.services import CaseError
from kongchuo import access

FAILED = object()


def run(form, fn, **kwargs):
    """Call a service; on CaseError put its Chinese message on the named field (or the form) and return FAILED."""
    try:
        return fn(**kwargs)
    except CaseError as exc:
        field = exc.field if exc.field in form.fields else None
        form.add_error(field, exc.message)
        return FAILED


def require(user, action, obj=None):
    """403 when the object is visible but the user's role may not perform `action`."""
    if not access.can(user, action, obj):
        raise PermissionDenied


def school_colleagues(user, school):
    """Accounts holding a role in `school` that `user` may pick (mentor, visitors, 送教 teachers)."""
    from kongchuo.models import User

    if school is None:
        return User.objects.none()
    in_school = (Q(role_assignments__school=school) | Q(role_assignments__grade__school=school)
                 | Q(role_assignments__school_class__grade__school=school))
    ids = access.visible(User, user).filter(in_school, role_assignments__is_active=True).values("pk")
    return User.objects.filter(pk__in=ids, is_active=True).order_by("real_name", "username")
