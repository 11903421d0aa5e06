"""Browser tests: Playwright driving Debian's chromium against pytest-django's live server.

- `playwright install` cannot download here: we launch /usr/bin/chromium (override with KC_CHROMIUM).
- Playwright's sync API runs an event loop in this thread, so Django ORM calls in tests need
  DJANGO_ALLOW_ASYNC_UNSAFE (tests only).
- Screenshots go to screenshots/ (KC_SCREENSHOT_DIR overrides); the README names the folder.
"""
import os
from pathlib import Path

import pytest
from django.core.management import call_command

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("KC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
SCREENSHOTS = Path(os.environ.get("KC_SCREENSHOT_DIR", Path(__file__).resolve().parents[2] / "screenshots"))
PHONE = {"width": 360, "height": 740}
DEMO_PASSWORD = "Kongchuo@2026"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": PHONE, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


@pytest.fixture
def screenshot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name):
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def demo_district(transactional_db, settings):
    """The demo district (small), plus a neighbouring area whose school no demo persona may open."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", students=40, stdout=open(os.devnull, "w"))
    from tests import factories as f

    neighbour = f.SchoolFactory(name="邻区实验小学")
    return {"neighbour_school": neighbour}


@pytest.fixture
def login(live_server):
    def do(page, username, password=DEMO_PASSWORD):
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")

    return do
