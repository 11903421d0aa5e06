"""Every message Django builds is Chinese (issue 9: the password change page said “This password is too short.
It must contain at least 8 characters.” because Django 5.2 changed that msgid and its zh_Hans catalog still has
the old one). locale/zh_Hans/LC_MESSAGES/django.po fills the gaps; this test finds any new gap."""
import os

import django
import polib
import pytest
from django.urls import reverse
from django.utils import translation

DJANGO = os.path.dirname(django.__file__)
CATALOGS = ["conf"] + [f"contrib/{app}" for app in ("admin", "auth", "contenttypes", "sessions", "messages", "humanize")]
# Strings that are the same in Chinese (symbols, units, abbreviations).
NEUTRAL = {"…", "IPv4", "IPv6", ":?.!", ":", "%s KB", "%s MB", "%s GB", "%s TB", "%s PB", "%(class_name)s %(instance)s"}


def _untranslated():
    missing = []
    with translation.override("zh-hans"):
        for catalog in CATALOGS:
            path = os.path.join(DJANGO, catalog, "locale", "en", "LC_MESSAGES", "django.po")
            if not os.path.exists(path):
                continue
            for entry in polib.pofile(path):
                if entry.obsolete or entry.msgid in NEUTRAL:
                    continue
                if entry.msgid_plural:
                    for n in (1, 2, 8):
                        got = (translation.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n) if entry.msgctxt
                               else translation.ngettext(entry.msgid, entry.msgid_plural, n))
                        if got in (entry.msgid, entry.msgid_plural):
                            missing.append((catalog, entry.msgid))
                            break
                else:
                    got = (translation.pgettext(entry.msgctxt, entry.msgid) if entry.msgctxt
                           else translation.gettext(entry.msgid))
                    if got == entry.msgid:
                        missing.append((catalog, entry.msgid))
    return missing


def test_every_django_message_of_the_installed_apps_has_a_chinese_translation():
    assert _untranslated() == []


def test_password_validators_speak_chinese():
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with translation.override("zh-hans"), pytest.raises(ValidationError) as exc:
        validate_password("aB1!")
    assert "密码太短：至少需要 8 个字符。" in exc.value.messages


def test_password_change_page_with_a_short_password_shows_chinese_only(client, world):
    world.office.set_password("Kongchuo@2026")
    world.office.save()
    client.force_login(world.office)
    response = client.post(reverse("password_change"), {"old_password": "Kongchuo@2026", "new_password1": "aB1!",
                                                        "new_password2": "aB1!"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "密码太短：至少需要 8 个字符。" in body
    assert "This password" not in body and "characters" not in body and "must contain" not in body


def test_password_change_required_messages_name_the_field(client, world):
    client.force_login(world.office)
    body = client.post(reverse("password_change"), {}).content.decode()
    assert "请填写旧密码。" in body and "请填写新密码。" in body
    assert "这个字段是必填项" not in body
