"""Hostile strings into every query parameter and every POST form of the running application, as the personas
who can reach each page (issue 9). The demo district (seed_demo) gives every kind of object a page can show.

- GET: each persona follows the links it sees; for every view reached, every query parameter it reads (recorded
  on the request), shows in a GET form or puts in its links gets each hostile query value. Never a 500.
- POST: every form a page shows is posted with each hostile string in every text field. Never a 500; a refused
  field's message names it in Chinese; afterwards no text column of any table holds a control, bidi or
  zero-width character.
"""
import re
import time
from urllib.parse import parse_qsl

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models

from kongchuo.models import User
from tests.hostile import strings as hostile
from tests.hostile.crawl import ReadRecorder, form_data, parse, spider, view_name, with_param

PERSONAS = ["demo_office", "demo_principal", "demo_gradelead", "demo_headteacher", "demo_teacher", "demo_subdistrict",
            "demo_village", "demo_leader", "demo_admin", "demo_teacher2"]
QUERY_VALUES = [hostile.NUL, hostile.ANSI, hostile.RLO_NAME, hostile.ZERO_WIDTH, hostile.EMOJI, hostile.SQL,
                hostile.SQL_LIKE, hostile.SCRIPT, hostile.NUMBERISH, hostile.NEGATIVE, hostile.BAD_DATE, "abc", "0",
                "１", "2026-13-45", "x" * 2000, hostile.C1]
ALWAYS = {"page", "q"}
CJK = re.compile(r"[\u4e00-\u9fff]")
PROJECT_APPS = ("kongchuo", "students", "cases", "notices", "reports")


@pytest.fixture
def demo(db, settings, tmp_path):
    settings.KONGCHUO_PRIVATE_ROOT = str(tmp_path / "private")
    call_command("seed_demo", students=40, stdout=open("/dev/null", "w"))
    return {u.username: u for u in User.objects.filter(username__in=PERSONAS)}


def _crawl(client, users):
    """{view_name: [(persona, url, page)]} of every HTML page each persona reaches."""
    reached = {}
    for username in PERSONAS:
        client.force_login(users[username])
        for url, (status, name, page) in spider(client, per_view=1).items():
            assert status < 500, (username, url, status)
            if status == 200 and page is not None:
                reached.setdefault(name, []).append((username, url, page))
    return reached


def test_hostile_query_parameters_never_give_a_500(client, demo, monkeypatch):
    started = time.monotonic()
    reached = _crawl(client, demo)
    print(f"\ncrawl: {len(reached)} views in {time.monotonic() - started:.0f} s")
    assert len(reached) >= 40, sorted(reached)
    tried = urls = 0
    for name, visits in sorted(reached.items()):
        username, url, page = visits[0]
        client.force_login(demo[username])
        recorder = ReadRecorder(monkeypatch)
        client.get(url)
        monkeypatch.undo()
        links = {k for link in page.links if "?" in link and view_name(link.split("?")[0] or url.split("?")[0]) == name
                 for k, _ in parse_qsl(link.split("?", 1)[1], keep_blank_values=True)}
        params = {k for k in recorder.keys | page.get_names | links | ALWAYS
                  if isinstance(k, str) and k and k != "csrfmiddlewaretoken"}
        urls += 1
        for param in sorted(params):
            for value in QUERY_VALUES:
                response = client.get(with_param(url, param, value))
                assert response.status_code < 500, (username, url, param, repr(value))
                tried += 1
        # every other persona who reaches the page: the NUL byte in every parameter at once
        for other, other_url, _ in visits[1:]:
            client.force_login(demo[other])
            query = "&".join(f"{p}=a%00b" for p in sorted(params))
            response = client.get(f"{other_url.split('?')[0]}?{query}")
            assert response.status_code < 500, (other, other_url)
    print(f"\nGET: {urls} views × their parameters, {tried} hostile requests")
    assert tried > 500


def _forbidden_rows():
    """(model, field, pk) of every stored text value holding a forbidden character."""
    bad = []
    for model in apps.get_models():
        if model._meta.app_label not in PROJECT_APPS:
            continue
        fields = [f.attname for f in model._meta.concrete_fields if isinstance(f, (models.CharField, models.TextField))]
        if not fields:
            continue
        for row in model.objects.values("pk", *fields).iterator():
            for field in fields:
                if hostile.forbidden_in(row[field]):
                    bad.append((model._meta.label, field, row["pk"], repr(row[field][:40])))
    return bad


def _errors(html):
    """[(field name, label, message)] of the field errors a re-rendered form shows (crispy's markup)."""
    page = parse(html)
    found = []
    for match in re.finditer(r'id="(?:id_)?(\w+?)_error"[^>]*>(.*?)</div>', html, re.S):
        name, message = match.group(1), re.sub(r"<[^>]+>", "", match.group(2)).strip()
        label = page.labels.get(f"id_{name}", "").replace("*", "").strip()
        found.append((name, label, message))
    return found


def test_hostile_strings_in_every_post_form_never_give_a_500_nor_a_stored_control_character(client, demo):
    reached = _crawl(client, demo)
    forms = {}
    for name, visits in sorted(reached.items()):
        for username, url, page in visits:
            for form in page.forms:
                if form["method"] != "post":
                    continue
                action = form["action"] or url.split("?")[0]
                if action.startswith("/accounts/logout"):
                    continue
                target = view_name(action.split("?")[0])
                if target and (target, tuple(sorted(form["fields"]))) not in forms:
                    forms[(target, tuple(sorted(form["fields"])))] = (username, url, action, form)
    assert len(forms) >= 25, sorted(forms)
    tried = fields = 0
    for (target, _), (username, url, action, form) in sorted(forms.items()):
        client.force_login(demo[username])
        text_fields = [n for n, k in form["kinds"].items() if k in ("text", "search", "tel", "email", "textarea")]
        fields += len(text_fields)
        for value in hostile.VALUES:
            response = client.post(action, form_data(form, value))
            assert response.status_code < 500, (username, target, action, repr(value[:30]))
            tried += len(text_fields)
            if response.status_code in (200, 400) and "text/html" in response.get("Content-Type", ""):
                for name, label, message in _errors(response.content.decode()):
                    assert CJK.search(message), (target, name, message)
                    assert "不允许是用空字符串" not in message, (target, name)
                    if label:
                        assert label.rstrip("：:") in message or message.startswith("请"), (target, name, label, message)
    print(f"\nPOST: {len(forms)} forms, {fields} text fields × {len(hostile.VALUES)} hostile strings = {tried}")
    assert _forbidden_rows() == []
