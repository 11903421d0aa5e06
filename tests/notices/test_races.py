"""Races on a notice (issue 9): 登记送达 twice at once, 送达 against 作废 — real parallel POSTs on PostgreSQL.

One move wins, with one service record / one case event; the other user is sent back to the notice with
"通知书 … 已由某某于某时登记送达（作废）" — never a second record, a 403 or a 500.
"""
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, CaseEvent
from notices.models import Notice, NoticeKind, NoticeService
from notices.services import notice_issue
from tests.notices.conftest import FIXED_NOW
from tests.parallel import logged_in, page_messages, post_at_once, requires_postgresql, run_parallel

pytestmark = [requires_postgresql, pytest.mark.django_db(transaction=True)]
WHEN = r"于\d{4}-\d{2}-\d{2} \d{2}:\d{2}"


@pytest.fixture
def issued(world, case_a1, guardian_of):
    return notice_issue(case=case_a1, actor=world.principal_a, guardian=guardian_of(case_a1), kind=NoticeKind.RETURN,
                        now=FIXED_NOW)


@pytest.fixture
def second_admin(world):
    from kongchuo.models import Role
    from tests import factories as f

    user = f.UserFactory(username="principal_a2", real_name="孙副校长")
    f.RoleAssignmentFactory(user=user, role=Role.SCHOOL_ADMIN, school=world.school_a)
    return user


def _serve_data():
    return {"served_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "method": "in_person",
            "recipient_name": "张父", "recipient_relation": "父亲", "place": "胡洼村", "deliverers": "周敏",
            "expected_status": "issued"}


def _outcome(results, landing):
    assert [r.status_code for _, r in results] == [302, 302], [r.status_code for _, r in results]
    return [page_messages(client, landing) for client, _ in results]


def test_two_service_records_at_once_record_one(world, issued, second_admin):
    url = reverse("notices:serve", args=[issued.pk])
    results = post_at_once(url, [(world.principal_a, _serve_data()), (second_admin, _serve_data())])
    issued.refresh_from_db()
    assert issued.status == Notice.Status.SERVED
    assert NoticeService.objects.filter(notice=issued).count() == 1
    case = issued.case
    case.refresh_from_db()
    assert case.status == Case.Status.NOTICE_SERVED
    assert CaseEvent.objects.filter(case=case, to_status=Case.Status.NOTICE_SERVED).count() == 1
    pages = _outcome(results, reverse("notices:detail", args=[issued.pk]))
    recorder = NoticeService.objects.get(notice=issued).recorded_by
    won = [p for p in pages if "已登记送达。限期至" in p]
    told = [p for p in pages if re.search(f"通知书 {issued.number} 已由{recorder.display_name}{WHEN}登记送达（当面送达）", p)]
    assert len(won) == 1 and len(told) == 1


def test_service_and_cancel_at_once_apply_one(world, issued, second_admin):
    serve = reverse("notices:serve", args=[issued.pk])
    cancel = reverse("notices:cancel", args=[issued.pk])
    a, b = logged_in(world.principal_a), logged_in(second_admin)
    results = run_parallel([lambda: a.post(serve, _serve_data()),
                            lambda: b.post(cancel, {"reason": "姓名有误", "expected_status": "issued"})])
    assert [r.status_code for r in results] == [302, 302]
    issued.refresh_from_db()
    assert issued.status in (Notice.Status.SERVED, Notice.Status.CANCELLED)
    served = issued.status == Notice.Status.SERVED
    assert NoticeService.objects.filter(notice=issued).count() == (1 if served else 0)
    landing = reverse("notices:detail", args=[issued.pk])
    pages = [page_messages(a, landing), page_messages(b, landing)]
    if served:
        assert re.search(f"已由{world.principal_a.display_name}{WHEN}登记送达", pages[1])
    else:
        assert re.search(f"已由{second_admin.display_name}{WHEN}作废", pages[0])


def test_two_cancels_at_once_cancel_once(world, issued, second_admin):
    url = reverse("notices:cancel", args=[issued.pk])
    data = {"reason": "姓名有误", "expected_status": "issued"}
    results = post_at_once(url, [(world.principal_a, data), (second_admin, data)])
    issued.refresh_from_db()
    assert issued.status == Notice.Status.CANCELLED
    notes = CaseEvent.objects.filter(case=issued.case, reason__startswith="作废")
    assert notes.count() == 1
    pages = _outcome(results, reverse("notices:detail", args=[issued.pk]))
    assert sum(1 for p in pages if re.search(f"已由{issued.cancelled_by.display_name}{WHEN}作废", p)) == 1
