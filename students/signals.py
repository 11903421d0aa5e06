"""Events the registry emits for other apps (cases consumes them; students imports nothing from cases).

All senders pass `sender=<the model class>` and keyword arguments as documented. Receivers run inside
the sender's transaction (connect with `transaction.on_commit` inside the receiver if they need to).
"""
from django.dispatch import Signal

# An absence threshold was crossed for a student.
# kwargs: student, level ("alert" = 3 days → 班主任 visit, "suspected" = 疑似辍学, "dropout" = 辍学),
#         days (consecutive unexcused school days), since (date of first absence), actor (user or None)
absence_threshold_reached = Signal()

# The term-start check found an enrolled student who did not return (未返校).
# kwargs: student, entry (the NonReturn entry), actor
non_return_recorded = Signal()

# A 学籍比对 candidate (school-age child not enrolled anywhere) was confirmed as out of school.
# kwargs: student (a Student row with status not_enrolled / dropped_out), candidate, actor
population_candidate_confirmed = Signal()

# A 学籍异动 was recorded (students.services: status_change_record, transfer_confirm, transfer_in).
# kwargs: student, change (the StatusChange; for a confirmed 转出 the original 转出 row), kind (StatusChange.Kind
#         value, or "transfer_confirmed"), status_before, status_after, actor (user or None)
student_status_changed = Signal()
