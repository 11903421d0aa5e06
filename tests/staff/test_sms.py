"""Forgotten password by SMS, when a gateway is configured (KONGCHUO_SMS_BACKEND): code sent, wrong codes counted,
rules applied, the default console backend means "no SMS path"."""
import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from staff import sms_services
from staff.models import SmsCode
from tests import factories as f


class FakeGateway:
    sent = []

    def send(self, phone, text):
        FakeGateway.sent.append((phone, text))
        return True


@pytest.fixture
def gateway(settings):
    settings.KONGCHUO_SMS_BACKEND = "tests.staff.test_sms.FakeGateway"
    FakeGateway.sent = []
    return FakeGateway


def _code():
    return re.search(r"验证码为 (\d{6})", FakeGateway.sent[-1][1]).group(1)


def test_sms_code_resets_the_password(world, gateway, client):
    world.teacher_a.phone = "13800002222"
    world.teacher_a.save()
    page = client.post(reverse("staff:password_help"), {"username": "teacher_a", "step": "send"})
    assert page.status_code == 200 and gateway.sent[-1][0] == "13800002222"
    assert not SmsCode.objects.get().code_hash.endswith(_code())
    wrong = client.post(reverse("staff:password_help"), {"username": "teacher_a", "step": "reset", "code": "000000",
                                                         "new_password1": "Neu#Pass2026", "new_password2": "Neu#Pass2026"})
    assert "验证码错误或已失效" in wrong.content.decode()
    weak = client.post(reverse("staff:password_help"), {"username": "teacher_a", "step": "reset", "code": _code(),
                                                        "new_password1": "12345678", "new_password2": "12345678"})
    assert weak.status_code == 200 and "sms-reset" in weak.content.decode()
    done = client.post(reverse("staff:password_help"), {"username": "teacher_a", "step": "reset", "code": _code(),
                                                        "new_password1": "Neu#Pass2026", "new_password2": "Neu#Pass2026"})
    assert done.status_code == 302
    world.teacher_a.refresh_from_db()
    assert world.teacher_a.check_password("Neu#Pass2026")
    with pytest.raises(ValidationError):  # used
        sms_services.sms_code_reset(username="teacher_a", code=_code(), new_password="Other#Pass2026")


def test_sms_codes_are_limited(world, gateway):
    world.teacher_a.phone = "13800002222"
    world.teacher_a.save()
    now = timezone.now()
    sms_services.sms_code_send(username="teacher_a", now=now)
    with pytest.raises(ValidationError):
        sms_services.sms_code_send(username="teacher_a", now=now + datetime.timedelta(seconds=30))
    code = _code()
    for _ in range(5):
        with pytest.raises(ValidationError):
            sms_services.sms_code_reset(username="teacher_a", code="999999", new_password="Neu#Pass2026",
                                        now=now + datetime.timedelta(seconds=40))
    with pytest.raises(ValidationError):  # attempts used up, even with the right code
        sms_services.sms_code_reset(username="teacher_a", code=code, new_password="Neu#Pass2026",
                                    now=now + datetime.timedelta(seconds=50))
    with pytest.raises(ValidationError):  # expired
        sms_services.sms_code_reset(username="teacher_a", code=code, new_password="Neu#Pass2026",
                                    now=now + datetime.timedelta(minutes=11))
    assert sms_services.sms_code_send(username="nobody-here") == sms_services.SENT  # same answer, nothing sent
    assert len(gateway.sent) == 1


def test_without_a_gateway_there_is_no_sms_path(world, client):
    page = client.get(reverse("staff:password_help"), {"username": "teacher_a"}).content.decode()
    assert "sms-reset" not in page
    with pytest.raises(ValidationError):
        sms_services.sms_code_send(username="teacher_a")
    assert f.PASSWORD and not SmsCode.objects.exists()
