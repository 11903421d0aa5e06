"""Memory budget (issue 9): no hostile spreadsheet takes the process that previews it above ~600 MB or past the
30 s request timeout. Each file goes through the real preview path in its own forked process (tests/hostile/peak.py),
which reports its peak RSS; the figures are printed (pytest -s) and recorded in the README. On PostgreSQL the child
runs the whole preview (`import_students` without --commit, against this test's committed world); on the SQLite
fallback of `make test`, whose in-memory test database another process cannot see, it runs the preview's reader."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from tests.hostile import spreadsheets as corpus
from tests.hostile.test_spreadsheet_entry_points import NATIONAL_HEADER, _rows

ROOT = Path(__file__).resolve().parents[2]
PEAK_BUDGET_MB = 600
SECONDS_BUDGET = 30


@pytest.mark.django_db(transaction=True)
def test_every_hostile_spreadsheet_stays_within_the_memory_and_time_budget(world, tmp_path):
    paths = [str(builder(tmp_path / name, NATIONAL_HEADER, _rows("national")))
             for name, builder, _ in corpus.CORPUS if (tmp_path / name).mkdir() is None]
    db = connection.settings_dict
    env = dict(os.environ, KONGCHUO_PRIVATE_ROOT=str(tmp_path / "private"))
    if connection.vendor == "postgresql":
        env["DATABASE_URL"] = (f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{db['HOST'] or '127.0.0.1'}:"
                               f"{db['PORT'] or 5432}/{db['NAME']}")
        how = ["--school", world.school_a.code]
    else:
        how = ["--reader-only"]
    done = subprocess.run([sys.executable, "-m", "tests.hostile.peak", *how, *paths],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(results) == len(paths)
    for r in results:
        print(f"{r['file']:32} peak {r['peak_mb']} MB (idle {r['base_mb']} MB)  {r['seconds']} s  exit {r['rc']}  "
              f"{r['message'][:60]}")
    for r in results:
        assert r["rc"] in (0, 1, 2), r  # never killed, never an unexpected exception
        assert r["peak_mb"] < PEAK_BUDGET_MB and r["seconds"] < SECONDS_BUDGET, r
