"""Access log for personal data (SPEC §8) and masking helpers."""
from kongchuo.models import AccessLog


def client_ip(request):
    if request is None:
        return None
    from axes.helpers import get_client_ip_address

    try:
        return get_client_ip_address(request) or None
    except Exception:  # noqa: BLE001 - a bad header must never stop the request
        return request.META.get("REMOTE_ADDR")


def log_access(*, request=None, user=None, action, obj=None, object_type="", object_id="", scope="", purpose="",
               detail="", username=""):
    """Append one row to the access log. Every unmasking, export, print and login goes through here."""
    if user is None and request is not None and getattr(request.user, "is_authenticated", False):
        user = request.user
    if obj is not None:
        object_type = object_type or obj._meta.label
        object_id = object_id or str(obj.pk)
    return AccessLog.objects.create(
        user=user if getattr(user, "pk", None) else None,
        username=username or (user.get_username() if getattr(user, "pk", None) else ""),
        action=action,
        object_type=object_type[:50],
        object_id=str(object_id)[:64],
        scope=scope[:200],
        purpose=purpose[:200],
        ip=client_ip(request),
        detail=detail,
    )


def mask_id(value):
    """Show the first 6 and last 4 characters of an ID number (110105********002X)."""
    if not value:
        return ""
    value = str(value)
    if len(value) <= 10:
        return value[:2] + "*" * max(len(value) - 4, 0) + value[-2:]
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value):
    """Show the first 3 and last 4 digits of a phone number (138****5678)."""
    if not value:
        return ""
    value = str(value)
    if len(value) <= 7:
        return value[:1] + "*" * max(len(value) - 3, 0) + value[-2:]
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
