"""Security headers on every page type (issue 9, "Headers and error pages"): a Content-Security-Policy without
'unsafe-inline' scripts, `Cache-Control: private, no-store` for everything a logged-in user gets, and the
Chinese CSRF failure page."""
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from kongchuo.headers import style_hashes
from notices.models import NoticeKind
from notices.services import notice_issue
from tests.notices.conftest import FIXED_NOW, guardian_of, make_case  # noqa: F401 - fixtures


def policy(response):
    header = response.get("Content-Security-Policy")
    assert header, f"no CSP on {response.status_code} {response.get('Content-Type')}"
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_strict_policy(response):
    p = policy(response)
    assert p["script-src"] == ["'self'"], p
    assert p["default-src"] == ["'self'"]
    for name in ("script-src", "style-src", "default-src"):
        assert "'unsafe-inline'" not in p.get(name, []) and "'unsafe-eval'" not in p.get(name, []), (name, p)
    assert p["object-src"] == ["'none'"] and p["frame-ancestors"] == ["'none'"] and p["base-uri"] == ["'none'"]
    return p


def assert_private(response):
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    assert {"private", "no-store"} <= directives, response.get("Cache-Control")
    assert "public" not in directives


@pytest.fixture
def notice(world, make_case, guardian_of):
    case = make_case(world.a1)
    return notice_issue(case=case, actor=world.principal_a, guardian=guardian_of(case), kind=NoticeKind.RETURN,
                        now=FIXED_NOW)


def _page_types(world, notice):
    """(name, user or None, url, expected status, expected content type prefix)."""
    return [
        ("list", world.principal_a, reverse("students:list"), 200, "text/html"),
        ("detail", world.principal_a, reverse("students:detail", args=[world.a1.pk]), 200, "text/html"),
        ("form", world.principal_a, reverse("students:flag_add", args=[world.a1.pk]), 200, "text/html"),
        ("case list", world.principal_a, reverse("cases:list"), 200, "text/html"),
        ("notice detail", world.principal_a, reverse("notices:detail", args=[notice.pk]), 200, "text/html"),
        ("notice list", world.principal_a, reverse("notices:list"), 200, "text/html"),
        ("audit", world.office, reverse("audit:list"), 200, "text/html"),
        ("pdf", world.principal_a, reverse("notices:pdf", args=[notice.pk]), 200, "application/pdf"),
        ("xlsx", world.principal_a, reverse("students:import_template"), 200,
         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("admin index", world.sysadmin, reverse("admin:index"), 200, "text/html"),
        ("admin changelist", world.sysadmin, reverse("admin:kongchuo_school_changelist"), 200, "text/html"),
        ("admin form", world.sysadmin, reverse("admin:kongchuo_user_change", args=[world.teacher_a.pk]), 200,
         "text/html"),
        ("404", world.principal_a, reverse("students:detail", args=[world.d1.pk]), 404, "text/html"),
        ("403", world.teacher_a, reverse("students:edit", args=[world.a1.pk]), 403, "text/html"),
        ("redirect", world.principal_a, reverse("students:detail", args=[world.a1.pk]).rstrip("/"), 301, ""),
        ("login", None, reverse("login"), 200, "text/html"),
        ("anonymous to login", None, reverse("students:list"), 302, ""),
        ("anonymous json", None, reverse("healthz"), 200, "application/json"),
    ]


def test_every_page_type_has_the_policy_and_personal_pages_are_not_cached(client, world, notice):
    for name, user, url, status, content_type in _page_types(world, notice):
        client.logout()
        if user is not None:
            client.force_login(user)
        response = client.get(url)
        assert response.status_code == status, (name, response.status_code)
        assert response.get("Content-Type", "").startswith(content_type), (name, response.get("Content-Type"))
        assert_strict_policy(response)
        if user is not None:
            assert_private(response)


@pytest.mark.urls("tests.kongchuo.urls_boom")
def test_500_page_has_the_policy_and_is_not_cached(client, world):
    client.raise_request_exception = False
    client.force_login(world.principal_a)
    response = client.get("/boom/")
    assert response.status_code == 500 and "系统出现错误" in response.content.decode()
    assert_strict_policy(response)
    assert_private(response)


@pytest.mark.parametrize("logged_in", [True, False])
def test_csrf_failure_page_is_the_chinese_shell(world, logged_in):
    client = Client(enforce_csrf_checks=True)
    if logged_in:
        client.force_login(world.principal_a)
        response = client.post(reverse("students:flag_add", args=[world.a1.pk]), {"kind": "orphan"})
    else:
        response = client.post(reverse("login"), {"username": "principal_a", "password": "x"})
    body = response.content.decode()
    assert response.status_code == 403
    assert "页面已过期或安全校验未通过" in body and 'lang="zh-Hans"' in body
    assert "CSRF" not in body and "Forbidden" not in body
    assert (f'action="{reverse("logout")}"' in body) is logged_in  # the shell, with the menu for a logged-in user
    assert_strict_policy(response)
    if logged_in:
        assert_private(response)


def test_notice_preview_styles_are_allowed_by_hash_only(client, world, notice):
    client.force_login(world.principal_a)
    response = client.get(reverse("notices:detail", args=[notice.pk]))
    p = assert_strict_policy(response)
    hashes = [h for h in p["style-src"] if h.startswith("'sha256-")]
    srcdoc = re.search(r'srcdoc="([^"]*)"', response.content.decode()).group(1)
    import html

    assert hashes and sorted(hashes) == sorted(style_hashes(html.unescape(srcdoc)))
    # other pages carry no hash
    assert policy(client.get(reverse("notices:list")))["style-src"] == ["'self'"]


# ---------------------------------------------------------------- every URL pattern
def _patterns(resolver, prefix=""):
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            if str(p.pattern).startswith("admin/"):
                continue
            yield from _patterns(p, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern)


def _fill(pattern, world):
    """A concrete path for a route: ids of the world's objects of school A where the name says what they are."""
    ids = {"student_pk": world.a1.pk, "school_pk": world.school_a.pk}

    def value(match):
        kind, name = match.group(1), match.group(2)
        if kind == "int":
            return str(ids.get(name, world.a1.pk))
        return "x" if kind in ("slug", "str") else "1"

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", value, pattern).lstrip("^").rstrip("$")


@pytest.mark.parametrize("username", ["principal_a", "office", "sysadmin"])
def test_every_url_pattern_sends_policy_and_no_store_to_logged_in_users(client, world, username):
    client.raise_request_exception = False
    client.force_login(getattr(world, username))
    paths = sorted({_fill(p, world) for p in _patterns(get_resolver())})
    assert len(paths) > 80
    statuses = {}
    for path in paths:
        response = client.get(path)
        statuses[path] = response.status_code
        assert response.status_code != 500, path
        assert_strict_policy(response)
        assert_private(response)
    assert sum(1 for s in statuses.values() if s == 200) >= (5 if username == "sysadmin" else 10), statuses


def test_static_files_keep_their_own_caching(client, world):
    """The no-store rule is for personal data: static assets are not touched by it."""
    from kongchuo.headers import PrivateCacheMiddleware
    from django.http import HttpResponse
    from django.test import RequestFactory

    request = RequestFactory().get(settings.STATIC_URL + "css/kongchuo.css")
    request.user = world.principal_a
    response = HttpResponse("x")
    response["Cache-Control"] = "max-age=31536000, public"
    assert PrivateCacheMiddleware(lambda r: response)(request)["Cache-Control"] == "max-age=31536000, public"
    request = RequestFactory().get("/students/")
    request.user = world.principal_a
    assert PrivateCacheMiddleware(lambda r: response)(request)["Cache-Control"] == "private, no-store"


# ---------------------------------------------------------------- templates
TEMPLATE_DIRS = [Path(settings.BASE_DIR) / "templates"] + [
    Path(settings.BASE_DIR) / app / "templates" for app in ("kongchuo", "students", "cases", "notices", "reports")]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.I | re.S)
STYLE_ATTRIBUTE = re.compile(r"<[^>]*\sstyle\s*=", re.I | re.S)
JS_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.I)


def _templates():
    for root in TEMPLATE_DIRS:
        if root.is_dir():
            yield from sorted(root.rglob("*.html"))


def test_no_template_has_inline_script_event_handler_or_style_attribute():
    files = list(_templates())
    assert len(files) > 50
    problems = []
    for path in files:
        text = path.read_text()
        for regex, what in ((INLINE_SCRIPT, "inline <script>"), (EVENT_HANDLER, "event handler attribute"),
                            (STYLE_ATTRIBUTE, "style attribute"), (JS_URL, "javascript: URL")):
            for m in regex.finditer(text):
                problems.append(f"{path.relative_to(settings.BASE_DIR)}: {what}: {m.group(0)[:80]}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("snippet", ['<script>alert(1)</script>', '<a onclick="x()">', '<div\n  onmouseover=x>',
                                     '<p style="color:red">', '<a href="javascript:x()">', '<script type="module">'])
def test_the_template_scan_catches_each_kind(snippet):
    assert any(r.search(snippet) for r in (INLINE_SCRIPT, EVENT_HANDLER, STYLE_ATTRIBUTE, JS_URL))
