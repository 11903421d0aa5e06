"""Memory per upload stays bounded: each case runs in a fresh process (tests/hostile/memory_probe.py)."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _probe(case, tmp_path):
    out = subprocess.run([sys.executable, "-m", "tests.hostile.memory_probe", case], cwd=ROOT, capture_output=True,
                         text=True, check=True, timeout=300, env={"KC_PROBE_DIR": str(tmp_path),
                                                                 "PATH": "/usr/bin:/bin",
                                                                 "DJANGO_SETTINGS_MODULE": "kongchuo.settings"})
    case_, before, peak, outcome = out.stdout.strip().splitlines()[-1].split("\t")
    return float(before.split("=")[1][:-2]), float(peak.split("=")[1][:-2]), outcome


@pytest.mark.parametrize("case", ["bomb20000", "bomb13000"])
def test_pixel_bomb_is_refused_before_any_decode(case, tmp_path):
    before, peak, outcome = _probe(case, tmp_path)
    assert outcome.startswith("refused") and "像素太多" in outcome
    assert peak - before < 20  # MB: only the header was read


def test_largest_allowed_image_stays_under_the_worker_budget(tmp_path):
    before, peak, outcome = _probe("png_40mp_rgba", tmp_path)
    assert outcome.startswith("accepted")
    assert peak - before < 450  # MB on top of the process; README: ~390 MB measured
