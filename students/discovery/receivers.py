"""Registry signals → discovery (connected in StudentsConfig.ready).

A 学籍异动 that takes a student off the roll (转出, 休学, 辍学, 死亡, 毕业 …) explains why they are not at school:
their open 未返校 entries are closed as "已办理学籍异动" at once, not only at the next term-start check.
"""
from django.dispatch import receiver

from students.signals import student_status_changed


@receiver(student_status_changed, dispatch_uid="discovery_close_non_returns")
def close_non_returns_on_status_change(sender, *, student, status_after=None, actor=None, **kwargs):
    from students.discovery.term import _save
    from students.models import Student
    from students.models.discovery import NonReturnEntry

    if status_after in (None, Student.Status.ENROLLED):
        return []
    closed = []
    for entry in (NonReturnEntry.objects.select_for_update(of=("self",)).order_by("pk")
                  .filter(student=student, status__in=NonReturnEntry.OPEN_STATUSES)):
        entry.status, entry.updated_by = NonReturnEntry.Status.CHANGE_RECORDED, actor
        closed.append(_save(entry, actor))
    return closed
