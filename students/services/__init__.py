"""Every write of the registry (keyword-only, atomic, history/event row in the same transaction).

Other apps import from here: `from students.services import status_change_record, flag_set, …`.
"""
from .base import NeedsConfirmation
from .care import care_assign, care_end, liaison_set, tier_assign
from .enrolment import enrolment_sync, enrolments_open_bulk
from .flags import flag_end, flag_set
from .identity import check_guardian_id, check_student_identity, normalize_phone
from .registry import (
    family_member_add, family_member_remove, family_member_update, student_create, student_update,
)
from .status import TRANSITIONS, allowed_kinds, pending_transfer, status_change_record, transfer_confirm, transfer_in

__all__ = [
    "NeedsConfirmation", "TRANSITIONS", "allowed_kinds", "care_assign", "care_end", "check_guardian_id",
    "check_student_identity", "enrolment_sync", "enrolments_open_bulk", "family_member_add", "family_member_remove",
    "family_member_update", "flag_end", "flag_set", "liaison_set", "normalize_phone", "pending_transfer",
    "status_change_record", "student_create", "student_update", "tier_assign", "transfer_confirm", "transfer_in",
]
