from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from kongchuo.models import AccessLog
from tests.factories import PASSWORD


@pytest.mark.parametrize("password", ["Ab1!", "abcdefgh", "abcdefg1", "ABCDEFG1", "Password1"])
def test_weak_passwords_rejected(password):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_character_class_message_is_chinese():
    with pytest.raises(ValidationError) as exc:
        validate_password("zqxjkvbnm")
    assert any("类" in m for m in exc.value.messages)


@pytest.mark.parametrize("password", ["Tiantian#2026", "xinyang2026!", "Zkbx9x8q7w"])
def test_strong_passwords_accepted(password):
    validate_password(password)


def _login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR="10.1.1.1")


def test_login_page_is_chinese(client, db):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert "登录" in response.content.decode() and 'lang="zh-Hans"' in response.content.decode()


def test_lockout_after_five_failures_per_username_and_ip(client, world):
    for _ in range(4):
        response = _login(client, "principal_a", "wrong")
        assert "用户名或密码错误" in response.content.decode()
    response = _login(client, "principal_a", "wrong")
    assert response.status_code == 429
    assert "已暂时锁定" in response.content.decode()
    # Locked even with the right password now.
    response = _login(client, "principal_a", PASSWORD)
    assert response.status_code == 429
    # Another user behind the same school NAT address can still log in.
    response = _login(client, "principal_b", PASSWORD)
    assert response.status_code == 302
    assert AccessLog.objects.filter(action="login_failed", username="principal_a").count() >= 5


def test_session_key_rotates_at_login(client, world):
    client.get(reverse("login"))
    client.cookies[settings.SESSION_COOKIE_NAME] = "x" * 32
    session = client.session
    session["probe"] = 1
    session.save()
    before = session.session_key
    assert _login(client, "head_a", PASSWORD).status_code == 302
    assert client.session.session_key != before


def test_idle_session_expires_after_30_minutes(client, world):
    assert settings.SESSION_COOKIE_AGE == 30 * 60 and settings.SESSION_SAVE_EVERY_REQUEST
    _login(client, "head_a", PASSWORD)
    assert client.get(reverse("workbench")).status_code == 200
    key = client.session.session_key
    expiry = Session.objects.get(session_key=key).expire_date
    assert timedelta(minutes=29) < expiry - timezone.now() <= timedelta(minutes=30, seconds=5)
    # 31 minutes idle: the stored session has expired, the next request goes to the login page.
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(minutes=1))
    response = client.get(reverse("workbench"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_login_and_logout_are_logged(client, world):
    _login(client, "office", PASSWORD)
    client.post(reverse("logout"))
    actions = list(AccessLog.objects.filter(username="office").values_list("action", flat=True))
    assert "login" in actions and "logout" in actions
    assert AccessLog.objects.filter(username="office", action="login").first().ip == "10.1.1.1"


def test_anonymous_user_is_sent_to_login(client, db):
    response = client.get(reverse("workbench"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_healthz_is_public_json(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
