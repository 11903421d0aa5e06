"""A visit or 送教 session posted with a missing or malformed idempotency key says what happened, keeps the typed
data and puts in a fresh key so the next submission is saved (issue 9: it re-rendered silently)."""
import re
import uuid

import pytest
from django.urls import reverse

from cases.models import HomeVisit
from cases.services import case_open
from kongchuo.forms import IDEMPOTENCY_MESSAGE

DATA = {"visit_date": "2026-10-12", "mode": "home", "people_met": "母亲", "findings": "学生在家，母亲同意周一送学",
        "guardian_attitude": "supportive"}


@pytest.mark.parametrize("key", ["not-a-uuid", "", "\x00", "1234", str(uuid.uuid4())[:-1]])
def test_visit_with_a_bad_key_says_so_keeps_the_data_and_can_be_sent_again(client, world, key):
    case = case_open(student=world.a1, trigger="absence", actor=world.head_a)
    client.force_login(world.teacher_a)
    url = reverse("cases:visit_new", args=[case.pk])
    response = client.post(url, {**DATA, "idempotency_key": key})
    body = response.content.decode()
    assert response.status_code == 200
    assert IDEMPOTENCY_MESSAGE in body  # on top of the form, in Chinese
    assert "学生在家，母亲同意周一送学" in body and 'value="母亲"' in body  # the typed data is kept
    assert not HomeVisit.objects.exists()
    fresh = re.search(r'name="idempotency_key" value="([^"]+)"', body).group(1)
    uuid.UUID(fresh)  # a new, valid key was put in
    again = client.post(url, {**DATA, "idempotency_key": fresh})
    assert again.status_code == 302
    assert HomeVisit.objects.filter(case=case).count() == 1
