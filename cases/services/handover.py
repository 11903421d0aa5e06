"""An account ends (go-live, staff.services.account_end): its open cases go to the next responsible person."""
from django.db import transaction
from django.utils import timezone

from cases.models import Case, CaseEvent
from cases.services.common import RESPONSIBLE_FIELD, lock_case, notification_send, write_event
from kongchuo import access


def _successor(case, leaving, actor):
    """The 包保 teacher or 班主任 for a case at the teacher tier (access.case_tier_candidates); otherwise the
    tier's other holders; then the school's admins; last the person ending the account."""
    stages = [case.stage] + (["school"] if case.stage == Case.Stage.TEACHER else [])
    for stage in stages:
        for user in access.case_tier_candidates(stage, case.student):
            if user.pk != leaving.pk:
                return user
    return actor if getattr(actor, "pk", None) and actor.pk != leaving.pk else None


@transaction.atomic
def case_hand_over_from(*, actor, user, now=None):
    """Every open case owned by (or paired with) `user` gets a new owner; one 变更负责人 event each.
    The caller checked kongchuo.access.can_manage_account(actor, user). Returns [(case, new owner)]."""
    now = now or timezone.now()
    moved = []
    cases = (Case.objects.open().filter(owner=user) | Case.objects.open().filter(mentor=user)).distinct()
    for case in cases.select_related("student").order_by("pk"):
        lock_case(case)
        changes = {}
        if case.mentor_id == user.pk:
            case.mentor = None
            changes["mentor"] = None
        new_owner = case.owner
        if case.owner_id == user.pk:
            new_owner = _successor(case, user, actor)
            case.owner = new_owner
            changes["owner"] = new_owner
            field = RESPONSIBLE_FIELD.get(case.stage)
            if field and getattr(case, f"{field}_id") == user.pk:
                setattr(case, field, new_owner)
        case.save()
        write_event(case=case, kind=CaseEvent.Kind.REASSIGNED, actor=actor, now=now,
                    reason=f"{user.display_name} 的账号已停用，个案转交", from_owner=user, **changes)
        if new_owner is not None and "owner" in changes:
            notification_send(recipient=new_owner, case=case, now=now,
                              title=f"个案转交：{case.student.name}",
                              body=f"{user.display_name} 的账号已停用，该个案转由您负责。")
        moved.append((case, new_owner))
    return moved
