"""Inbox (站内消息) reads."""
from django.db import transaction
from django.utils import timezone

from cases.models import Notification


@transaction.atomic
def notification_mark_read(*, notification, actor, now=None):
    if notification.recipient_id != actor.pk:
        raise PermissionError("只能标记自己的消息")
    if notification.read_at is None:
        notification.read_at = now or timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


@transaction.atomic
def notification_mark_all_read(*, actor, now=None):
    return Notification.objects.filter(recipient=actor, read_at__isnull=True).update(read_at=now or timezone.now())
