"""Deadline checks run by `python manage.py run_deadlines` (cron). Each check is idempotent.

Apps register checks here (notices registers its 7-day clock in its AppConfig.ready) so cases never
imports notices. A check is `fn(*, now) -> list[str]` returning one line per action taken.
"""
CHECKS = []


def register(fn):
    CHECKS.append(fn)
    return fn


def run_all(*, now):
    lines = []
    for fn in CHECKS:
        lines.extend(fn(now=now))
    return lines
