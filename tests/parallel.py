"""Real parallel requests for the race tests: threads with their own database connections, released together.

Row locks need PostgreSQL (CI and `make test` use it); on the SQLite demo database these tests are marked
`requires_postgresql` (SQLite serialises writers per database and has no SELECT … FOR UPDATE).
"""
import threading

import pytest
from django.db import connection, connections
from django.test import Client

requires_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="并发测试需要 PostgreSQL 行锁（CI 与 make test 使用 PostgreSQL）")


def run_parallel(jobs, timeout=60):
    """Run the callables at once (a barrier releases them together); returns their results or exceptions."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def worker(i, job):
        try:
            barrier.wait(timeout=10)
            results[i] = job()
        except Exception as exc:  # noqa: BLE001 - collected and asserted by the test
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads), "a parallel request did not finish (deadlock?)"
    return results


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def post_at_once(url, posts):
    """`posts`: [(user, data), …] — each user's client POSTs `data` to `url` at the same moment.

    Returns [(client, response)]; an exception in a request (a 500 under the test client) is re-raised."""
    clients = [(logged_in(user), data) for user, data in posts]
    responses = run_parallel([lambda c=c, d=d: c.post(url, d) for c, d in clients])
    for response in responses:
        if isinstance(response, Exception):
            raise response
    return [(c, r) for (c, _), r in zip(clients, responses)]


def page_messages(client, url):
    """The page the user lands on after the redirect, as text (it shows the flash messages)."""
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()
