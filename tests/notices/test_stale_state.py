"""登记送达 / 作废 with a state the notice no longer has (single-threaded): "已由…于…", nothing written twice."""
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from kongchuo.lifecycle import ERR_PAGE_EXPIRED, StaleState
from notices.models import Notice, NoticeKind, NoticeService
from notices.services import notice_cancel, notice_issue, notice_record_service
from tests.notices.conftest import FIXED_NOW

pytestmark = pytest.mark.django_db
WHEN = r"于\d{4}-\d{2}-\d{2} \d{2}:\d{2}"


@pytest.fixture
def issued(world, case_a1, guardian_of):
    return notice_issue(case=case_a1, actor=world.principal_a, guardian=guardian_of(case_a1), kind=NoticeKind.RETURN,
                        now=FIXED_NOW)


def _serve(notice, actor, **kw):
    return notice_record_service(notice=notice, actor=actor, served_at=timezone.now(), method="in_person",
                                 recipient_name="张父", place="胡洼村", deliverers="周敏", **kw)


def _serve_data(**extra):
    return {"served_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "method": "in_person",
            "recipient_name": "张父", "place": "胡洼村", "deliverers": "周敏", **extra}


def test_second_service_record_with_stale_status_names_the_first(world, issued):
    _serve(issued, world.principal_a, expected={"status": "issued"})
    with pytest.raises(StaleState) as info:
        _serve(issued, world.principal_a, expected={"status": "issued"})
    assert re.match(f"通知书 {issued.number} 已由{world.principal_a.display_name}{WHEN}登记送达（当面送达）",
                    info.value.message)
    assert NoticeService.objects.filter(notice=issued).count() == 1


def test_cancel_after_service_with_stale_status_is_refused(world, issued):
    _serve(issued, world.principal_a)
    with pytest.raises(StaleState):
        notice_cancel(notice=issued, actor=world.principal_a, reason="姓名有误", expected={"status": "issued"})
    issued.refresh_from_db()
    assert issued.status == Notice.Status.SERVED


def test_serve_page_renders_its_state_and_refuses_a_page_without_it(client, world, issued):
    client.force_login(world.principal_a)
    url = reverse("notices:serve", args=[issued.pk])
    assert 'name="expected_status" value="issued"' in client.get(url).content.decode()
    response = client.post(url, _serve_data(), follow=True)
    assert ERR_PAGE_EXPIRED in response.content.decode()
    assert not NoticeService.objects.filter(notice=issued).exists()


def test_serve_page_second_submit_is_a_message_naming_the_first(client, world, issued):
    client.force_login(world.principal_a)
    url = reverse("notices:serve", args=[issued.pk])
    assert client.post(url, _serve_data(expected_status="issued")).status_code == 302
    again = client.post(url, _serve_data(expected_status="issued"), follow=True)
    assert again.redirect_chain[-1][0] == reverse("notices:detail", args=[issued.pk])
    assert re.search(f"已由{world.principal_a.display_name}{WHEN}登记送达", again.content.decode())
    assert NoticeService.objects.filter(notice=issued).count() == 1


def test_cancel_form_sends_its_state_and_second_cancel_names_the_first(client, world, issued):
    client.force_login(world.principal_a)
    detail = reverse("notices:detail", args=[issued.pk])
    assert '<input type="hidden" name="expected_status" value="issued">' in client.get(detail).content.decode()
    url = reverse("notices:cancel", args=[issued.pk])
    client.post(url, {"reason": "姓名有误", "expected_status": "issued"})
    again = client.post(url, {"reason": "姓名有误", "expected_status": "issued"}, follow=True)
    assert re.search(f"已由{world.principal_a.display_name}{WHEN}作废", again.content.decode())
    expired = client.post(url, {"reason": "姓名有误"}, follow=True)
    assert expired.status_code == 200 and ERR_PAGE_EXPIRED in expired.content.decode()
    issued.refresh_from_db()
    assert issued.status == Notice.Status.CANCELLED and issued.cancel_reason == "姓名有误"
