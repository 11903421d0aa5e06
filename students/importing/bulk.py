"""Fast writes for imports, with a django-simple-history row for every row written (PITFALLS: bulk paths skip
save() and history signals).

PostgreSQL: primary keys are taken from the table's sequence in one query, then rows and history rows go in with
COPY (updates: COPY into a temporary table + one UPDATE … FROM). Other databases (the SQLite demo): Django's
bulk_create / bulk_update through simple-history's bulk_create_with_history / bulk_update_with_history.
Rows are dicts of attname → value; fields left out get their model default.
"""
import contextlib
import csv
import datetime
import io
import json
import queue
import threading
from operator import itemgetter
from dataclasses import dataclass, field

from django.db import connection
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history


@dataclass
class Stamp:
    """Who/when/why for the history rows of one import."""

    user_id: int | None
    reason: str
    when: datetime.datetime = field(default_factory=timezone.now)
    rows_written: int = 0

    @property
    def user(self):
        if self.user_id is None:
            return None
        from django.contrib.auth import get_user_model

        return get_user_model()(pk=self.user_id)


FORCE_ORM = False  # tests flip this to exercise the portable path on PostgreSQL


def use_copy():
    """COPY needs PostgreSQL through psycopg2 (cursor.copy_expert)."""
    return (not FORCE_ORM and connection.vendor == "postgresql"
            and getattr(connection.Database, "__name__", "") == "psycopg2")


def _csv_ready(value):
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return value


class CopyWorker:
    """Runs the COPYs of one import on a background thread, on the same connection and so in the same transaction:
    Python prepares the next chunk while PostgreSQL ingests this one (psycopg2 releases the GIL while it waits for
    the server and serialises statements on a connection, so the main thread's next query simply waits).
    Jobs run in order; the first failure is re-raised by close() / the next submit()."""

    def __init__(self):
        connection.ensure_connection()
        self.raw = connection.connection
        self.jobs = queue.Queue(maxsize=16)
        self.error = None
        self.busy_seconds = 0.0
        self.thread = threading.Thread(target=self._run, name="kc-import-copy", daemon=True)
        self.thread.start()

    def _run(self):
        import time

        while True:
            job = self.jobs.get()
            try:
                if job is None:
                    return
                if self.error is None:
                    sql, buf = job
                    started = time.perf_counter()
                    with self.raw.cursor() as cursor:
                        cursor.copy_expert(sql, buf)
                    self.busy_seconds += time.perf_counter() - started
            except Exception as exc:  # noqa: BLE001 - handed to the importing thread
                self.error = exc
            finally:
                self.jobs.task_done()

    def submit(self, sql, buf):
        if self.error is not None:
            raise self.error
        self.jobs.put((sql, buf))

    def flush(self):
        self.jobs.join()
        if self.error is not None:
            raise self.error

    def close(self):
        self.jobs.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error


_worker = threading.local()


@contextlib.contextmanager
def background_copy():
    """Within this block (PostgreSQL + psycopg2 only), inserts are COPYed on a background thread."""
    if not use_copy():
        yield None
        return
    worker = CopyWorker()
    _worker.current = worker

    def wait_for_copies(execute, sql, params, many, context):
        # psycopg2 does not guard a connection in COPY state against a second thread: every query of the
        # importing thread first waits until the queued COPYs are done (they overlap with pure-Python work only).
        worker.flush()
        return execute(sql, params, many, context)

    try:
        with connection.execute_wrapper(wait_for_copies):
            yield worker
    except BaseException as exc:
        _worker.current = None
        try:
            worker.close()
        except Exception as copy_error:  # the COPY failed first: that is the real cause
            raise copy_error from exc
        raise
    else:
        _worker.current = None
        worker.close()


def copy_rows(table, columns, rows, *, not_null=(), wait=False):
    """COPY rows (tuples) into `table` in CSV format. csv.writer does the quoting in C; an unquoted empty field is
    NULL except in `not_null` columns, where FORCE_NOT_NULL reads it as '' (so blank CharFields stay '').
    Inside background_copy() the COPY runs on the worker thread unless `wait`."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    buf.seek(0)
    qn = connection.ops.quote_name
    cols = ", ".join(qn(c) for c in columns)
    options = "FORMAT csv"
    if not_null:
        options += f", FORCE_NOT_NULL ({', '.join(qn(c) for c in not_null)})"
    sql = f"COPY {qn(table)} ({cols}) FROM STDIN WITH ({options})"
    worker = getattr(_worker, "current", None)
    if worker is not None:
        if not wait:
            worker.submit(sql, buf)
            return
        worker.flush()
    with connection.cursor() as cursor:
        cursor.copy_expert(sql, buf)


def _not_null_text(model, columns):
    """Columns of `model` that are NOT NULL text: an empty CSV field must be '' there, not NULL."""
    by_column = {f.column: f for f in model._meta.concrete_fields}
    return [c for c in columns if c in by_column and not by_column[c].null and by_column[c].empty_strings_allowed]


def _defaults(model, rows, *, adding, now):
    """Fill the fields a dict leaves out (defaults, auto_now) — what Model.__init__/pre_save would have done."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    fill = []
    for f in fields:
        if getattr(f, "auto_now", False) or (adding and getattr(f, "auto_now_add", False)):
            fill.append((f.attname, lambda now=now: now, True))
        elif f.has_default():
            fill.append((f.attname, f.get_default, False))
        elif f.null:
            fill.append((f.attname, lambda: None, False))
        elif f.empty_strings_allowed and f.blank:
            fill.append((f.attname, lambda: "", False))
    for row in rows:
        for attname, default, always in fill:
            if always or attname not in row:
                row[attname] = default()
    return [f.attname for f in fields]


def _copy_history(model, rows, stamp, history_type):
    history = model.history.model
    tracked = [f.attname for f in history.tracked_fields]
    column_of = {f.attname: f.column for f in history._meta.concrete_fields}
    columns = [column_of[a] for a in tracked] + ["history_date", "history_change_reason", "history_type",
                                                 "history_user_id"]
    tail = (stamp.when, stamp.reason, history_type, stamp.user_id)
    pick = _picker(tracked)
    copy_rows(history._meta.db_table, columns, [pick(row) + tail for row in rows],
              not_null=_not_null_text(history, columns))


def allocate_ids(model, count):
    """Primary keys for `count` new rows from the table's sequence (PostgreSQL), in one query; [] elsewhere."""
    if count == 0 or not use_copy():
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                       [model._meta.db_table, model._meta.pk.column, count])
        return [r[0] for r in cursor.fetchall()]


def insert(model, rows, stamp, ids=None):
    """Insert `rows` (dicts) with one '+' history row each; sets row['id'] (from `ids` when the caller allocated
    them ahead, so that no query sits between the COPYs of a chunk); returns the number of rows."""
    if not rows:
        return 0
    pk = model._meta.pk.attname
    if not use_copy():
        objs = [model(**row) for row in rows]
        bulk_create_with_history(objs, model, batch_size=2000, default_user=stamp.user,
                                 default_change_reason=stamp.reason, default_date=stamp.when)
        for row, obj in zip(rows, objs):
            row[pk] = obj.pk
        stamp.rows_written += 2 * len(rows)
        return len(rows)
    attnames = _defaults(model, rows, adding=True, now=stamp.when)
    table = model._meta.db_table
    if ids is None or len(ids) < len(rows):
        ids = allocate_ids(model, len(rows))
    for row, new_id in zip(rows, ids):
        row[pk] = new_id
    attnames = [pk] + attnames
    column_of = {f.attname: f.column for f in model._meta.concrete_fields}
    columns = [column_of[a] for a in attnames]
    pick = _picker(attnames)
    values = [pick(row) for row in rows]
    if _has_json(model):
        values = [tuple(map(_csv_ready, v)) for v in values]
    copy_rows(table, columns, values, not_null=_not_null_text(model, columns))
    _copy_history(model, rows, stamp, "+")
    stamp.rows_written += 2 * len(rows)
    return len(rows)


def update(model, rows, fields, stamp):
    """Write `fields` of `rows` (full dicts incl. 'id', as the rows are after the change) + a '~' history row each."""
    if not rows:
        return 0
    pk = model._meta.pk.attname
    fields = list(dict.fromkeys(fields))
    if not use_copy():
        objs = []
        for row in rows:
            obj = model(**row)
            obj._state.adding = False
            objs.append(obj)
        bulk_update_with_history(objs, model, fields, batch_size=1000, default_user=stamp.user,
                                 default_change_reason=stamp.reason, default_date=stamp.when)
        stamp.rows_written += 2 * len(rows)
        return len(rows)
    for f in model._meta.concrete_fields:
        if getattr(f, "auto_now", False):
            for row in rows:
                row[f.attname] = stamp.when
            if f.attname not in fields:
                fields.append(f.attname)
    table = model._meta.db_table
    qn = connection.ops.quote_name
    column_of = {f.attname: f.column for f in model._meta.concrete_fields}
    columns = [column_of[pk]] + [column_of[f] for f in fields]
    temp = f"_kc_upd_{table}"[:60]
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {qn(temp)}")
        cursor.execute(f"CREATE TEMP TABLE {qn(temp)} ON COMMIT DROP AS SELECT "
                       f"{', '.join(qn(c) for c in columns)} FROM {qn(table)} WITH NO DATA")
    pick = _picker([pk, *fields])
    copy_rows(temp, columns, [pick(row) for row in rows], not_null=_not_null_text(model, columns), wait=True)
    sets = ", ".join(f"{qn(c)} = t.{qn(c)}" for c in columns[1:])
    key = qn(columns[0])
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {qn(table)} AS m SET {sets} FROM {qn(temp)} AS t WHERE m.{key} = t.{key}")
        cursor.execute(f"DROP TABLE {qn(temp)}")
    _copy_history(model, rows, stamp, "~")
    stamp.rows_written += 2 * len(rows)
    return len(rows)


def _picker(names):
    """row dict → tuple of its values for `names` (itemgetter returns a bare value for one name)."""
    getter = itemgetter(*names)
    return getter if len(names) > 1 else (lambda row: (getter(row),))


def _has_json(model):
    from django.db.models import JSONField

    return any(isinstance(f, JSONField) for f in model._meta.concrete_fields)


def as_row(instance):
    """An existing model instance as a row dict (attname → value)."""
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}
