"""The job's status table and the one compare-and-set that moves it."""
from django.core.exceptions import ImproperlyConfigured

from kongchuo.models import Job

S = Job.Status

# from → the statuses it may move to
TRANSITIONS = {
    S.QUEUED: {S.RUNNING, S.CANCELLED},  # a worker takes it; the user cancels before it starts
    S.RUNNING: {S.DONE, S.FAILED, S.CANCELLED},  # finished; error or stale heartbeat; cancelled at a progress point
    S.FAILED: {S.QUEUED},  # 重试
    S.DONE: set(),
    S.CANCELLED: set(),
}


def allowed(src, dst):
    return dst in TRANSITIONS.get(src, set())


def move(job, dst, *, expected, attempt=None, **fields):
    """Move `job` to `dst` if its status (in the database, now) is one of `expected` — and, given `attempt`, it is
    still that attempt. One UPDATE … WHERE status IN (…): of two callers racing, exactly one wins. Returns bool."""
    expected = (expected,) if isinstance(expected, str) else tuple(expected)
    for src in expected:
        if not allowed(src, dst):
            raise ImproperlyConfigured(f"job status {src} → {dst} is not in the table")
    qs = Job.objects.filter(pk=job.pk, status__in=expected)
    if attempt is not None:
        qs = qs.filter(attempts=attempt)
    changed = qs.update(status=dst, **fields)
    if changed:
        job.status = dst
        for name, value in fields.items():
            setattr(job, name, value)
    return bool(changed)
