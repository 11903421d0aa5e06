"""The two commands on a fresh machine: the one system package list, the script that installs it, and what
`make run` serves (DEBUG off, local HTTP, static files from the app, our Chinese 404)."""
import json
import os
import re
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "system-packages.sh"


def package_list():
    rows = []
    for line in (ROOT / "system-packages.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, when = line.split()
            rows.append((name, when))
    return rows


def test_package_list_has_one_scope_per_package_and_run_needs_no_browser():
    rows = package_list()
    names = [name for name, _ in rows]
    assert len(names) == len(set(names))
    assert {when for _, when in rows} == {"run", "test"}
    when = dict(rows)
    assert when["chromium"] == "test"
    for run_need in ("python3-venv", "libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0", "fonts-noto-cjk"):
        assert when[run_need] == "run", run_need
    for test_need in ("poppler-utils", "fonts-liberation", "libatomic1"):
        assert when[test_need] == "test", test_need


def test_package_list_holds_every_font_the_code_names():
    """Every family named by the notice settings, the Latin baseline and the screens' CSS comes from a package."""
    from django.conf import settings

    from notices import bench

    families = {settings.KONGCHUO["NOTICE_FONT_FAMILY"], bench.LATIN_FAMILY}
    css = (ROOT / "static" / "css" / "kongchuo.css").read_text()
    families.add(re.search(r'font-family:\s*"([^"]+)"', css).group(1))
    provided = {"Noto Serif CJK SC": "fonts-noto-cjk", "Noto Sans CJK SC": "fonts-noto-cjk",
                "Liberation Serif": "fonts-liberation"}
    names = {name for name, _ in package_list()}
    for family in families:
        assert provided[family] in names, family


def test_every_program_the_code_runs_comes_from_the_list():
    """Programs started with subprocess.run([...]) anywhere in the project (sys.executable aside)."""
    provided_by = {"pdftotext": "poppler-utils", "pdftoppm": "poppler-utils", "bash": None}  # None: Essential: yes
    called = set()
    for folder in ("tests", "kongchuo", "students", "cases", "notices", "reports"):
        for path in (ROOT / folder).rglob("*.py"):
            called |= set(re.findall(r'subprocess\.run\(\[\s*"([^"]+)"', path.read_text()))
    assert called >= {"pdftotext", "pdftoppm"}
    names = dict(package_list())
    for program in called:
        assert provided_by[program] is None or provided_by[program] in names, program


@pytest.fixture
def fake_system(tmp_path):
    """A PATH with fake dpkg-query / apt-get / id: `installed` lists what dpkg knows, apt-get calls are logged."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    state = {"installed": tmp_path / "installed", "calls": tmp_path / "calls", "uid": tmp_path / "uid"}
    state["installed"].write_text("")
    state["calls"].write_text("")
    state["uid"].write_text("1000")
    scripts = {
        "dpkg-query": f"""
            pkg="${{@: -1}}"
            if grep -qx "$pkg" {state['installed']}; then printf 'install ok installed'; else exit 1; fi""",
        "apt-get": f"""
            echo "$*" >> {state['calls']}
            if [ "$1" = install ]; then for p in "$@"; do case "$p" in -*|install) ;; *) echo "$p" >> {state['installed']};; esac; done; fi""",
        "id": f"""cat {state['uid']}""",
    }
    for name, body in scripts.items():
        path = bin_dir / name
        path.write_text("#!/bin/bash\n" + textwrap.dedent(body).strip() + "\n")
        path.chmod(path.stat().st_mode | stat.S_IXUSR)

    def run(when, var_dir=tmp_path):
        env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path)}
        return subprocess.run(["bash", str(SCRIPT), when], capture_output=True, text=True, env=env)

    state["run"] = run
    return state


def test_script_as_another_user_prints_the_exact_command_and_stops(fake_system):
    fake_system["installed"].write_text("make\nlibpango-1.0-0\n")
    result = fake_system["run"]("run")
    assert result.returncode == 1
    missing_run = [n for n, w in package_list() if w == "run" and n not in ("make", "libpango-1.0-0")]
    assert ("sudo apt-get install -y --no-install-recommends " + " ".join(missing_run)) in result.stderr
    assert "chromium" not in result.stderr  # make run needs no browser
    assert "make run" in result.stderr
    assert fake_system["calls"].read_text() == ""  # nothing attempted without root

    result = fake_system["run"]("test")
    assert result.returncode == 1
    missing_all = [n for n, _ in package_list() if n not in ("make", "libpango-1.0-0")]
    assert ("sudo apt-get install -y --no-install-recommends " + " ".join(missing_all)) in result.stderr


def test_script_as_root_installs_only_what_is_missing_with_one_update(fake_system):
    fake_system["uid"].write_text("0")
    fake_system["installed"].write_text("fonts-noto-cjk\n")
    result = fake_system["run"]("test")
    assert result.returncode == 0, result.stderr
    calls = fake_system["calls"].read_text().splitlines()
    wanted = [n for n, _ in package_list() if n != "fonts-noto-cjk"]
    assert calls == ["update -qq", "install -y -qq --no-install-recommends " + " ".join(wanted)]
    assert result.stdout.startswith("安装系统软件包：")

    # Everything there now: a second call does nothing and says nothing.
    fake_system["calls"].write_text("")
    result = fake_system["run"]("test")
    assert (result.returncode, result.stdout, fake_system["calls"].read_text()) == (0, "", "")


def test_script_refuses_an_unknown_part(fake_system):
    result = fake_system["run"]("prod")
    assert result.returncode == 2
    assert "usage" in result.stderr


PROBE = """
import json, os, django
from django.conf import settings
django.setup()
from django.core.management import call_command
from django.test import Client
call_command("collectstatic", "--noinput", verbosity=0)
client = Client()
missing = client.get("/no/such/page/")
css = client.get("/static/css/kongchuo.css")
print(json.dumps({
    "debug": settings.DEBUG, "ssl_redirect": settings.SECURE_SSL_REDIRECT,
    "cookie_secure": [settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE],
    "hsts": settings.SECURE_HSTS_SECONDS, "secret": settings.SECRET_KEY,
    "missing": [missing.status_code, missing.content.decode()],
    "css": [css.status_code, b"".join(css.streaming_content).decode() if css.status_code == 200 else ""],
}))
"""


def probe(tmp_path, **env):
    base = {"PATH": "/usr/bin:/bin", "VAR_DIR": str(tmp_path), "STATIC_ROOT": str(tmp_path / "static"),
            "DJANGO_SETTINGS_MODULE": "kongchuo.settings", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True,
                            env={**base, **env})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_local_product_settings_serve_static_files_and_the_chinese_404(tmp_path):
    """What scripts/serve.sh run sets: DEBUG off, local HTTP, static files from the app, our 404 page."""
    out = probe(tmp_path, SECRET_KEY="local-" + "s" * 50, KC_LOCAL_HTTP="1", ALLOWED_HOSTS="testserver")
    assert out["debug"] is False
    assert out["ssl_redirect"] is False and out["cookie_secure"] == [False, False]
    assert out["secret"] == "local-" + "s" * 50
    status, page = out["missing"]
    assert status == 404
    assert "页面不存在" in page and "URLconf" not in page and "Page not found" not in page
    status, body = out["css"]
    assert status == 200
    assert body == (ROOT / "static" / "css" / "kongchuo.css").read_text()


def test_production_settings_keep_https_only_without_local_http(tmp_path):
    out = probe(tmp_path, SECRET_KEY="prod-" + "p" * 50, ALLOWED_HOSTS="testserver")
    assert out["debug"] is False
    assert out["ssl_redirect"] is True and out["cookie_secure"] == [True, True]
    assert out["missing"][0] == 301  # plain HTTP is sent to HTTPS
    assert out["hsts"] == 31536000
