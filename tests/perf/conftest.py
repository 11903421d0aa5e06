"""Benchmarks (`make bench`, `make bench SCALE=small`): not part of `make test` (pytest.ini ignores tests/perf).

Each benchmark builds its own data in the pytest-django test database and calls bench_table.record(); the table is
printed once at the end of the run (see README.md here).
"""
import pytest

from tests.perf import bench_table


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not bench_table.FIGURES:
        return
    terminalreporter.write_line("")
    terminalreporter.write_line(f"benchmark figures (KC_BENCH_SCALE={bench_table.scale()}):")
    for line in bench_table.lines():
        terminalreporter.write_line(line)


@pytest.fixture
def bench_scale():
    return bench_table.scale()
