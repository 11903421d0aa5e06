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
import sys
import threading
from operator import itemgetter
from concurrent.futures import Future
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


# psycopg2 reads the buffer in blocks of this many characters, taking the GIL for each read: with its default of
# 8 KB the COPY thread waited for the importing thread's GIL (5 ms switch interval) thousands of times a chunk.
COPY_READ_SIZE = 64 * 1024 * 1024
IMPORT_SWITCH_INTERVAL = 0.0005
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

    Jobs run in the order they are queued. COPYs are *held* until release() (or any query of the importing thread,
    or close()); ask(fn) queues a read — the next chunk's lookup and ids — at once, ahead of the held COPYs. So the
    importer queues "look up chunk K+1", then releases "write chunk K", and PostgreSQL goes from one to the next
    without waiting for Python. The first failure is re-raised by close() / submit() / flush() / the asked result."""

    def __init__(self):
        connection.ensure_connection()
        self.raw = connection.connection
        self.jobs = queue.Queue(maxsize=32)
        self.held = []
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
                kind, payload, result = job
                if self.error is not None:
                    if result is not None:
                        result.set_exception(self.error)
                    continue
                started = time.perf_counter()
                try:
                    with connection.wrap_database_errors, self.raw.cursor() as cursor:  # Django's IntegrityError…
                        if kind == "copy":
                            cursor.copy_expert(*payload, size=COPY_READ_SIZE)
                        else:
                            value = payload(cursor)
                except Exception as exc:  # noqa: BLE001 - handed to the importing thread
                    self.error = exc
                    if result is not None:
                        result.set_exception(exc)
                    continue
                if kind == "copy":
                    self.busy_seconds += time.perf_counter() - started
                else:
                    result.set_result(value)
            finally:
                self.jobs.task_done()

    def submit(self, sql, buf):
        if self.error is not None:
            raise self.error
        self.held.append(("copy", (sql, buf), None))

    def ask(self, fn):
        """Queue fn(cursor) now (ahead of the held COPYs); returns a Future of its result."""
        if self.error is not None:
            raise self.error
        result = Future()
        self.jobs.put(("call", fn, result))
        return result

    def release(self):
        """Start the held COPYs (in the order they were submitted)."""
        held, self.held = self.held, []
        for job in held:
            self.jobs.put(job)

    def flush(self):
        """Start the held COPYs and wait until everything queued is done."""
        self.release()
        self.jobs.join()
        if self.error is not None:
            raise self.error

    def close(self):
        self.release()
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
    # The worker needs the GIL for a moment between its COPYs (8 a chunk); with Python's 5 ms switch interval the
    # busy importing thread kept it — and so PostgreSQL — waiting up to 5 ms each time. 0.5 ms while importing.
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(min(switch_interval, IMPORT_SWITCH_INTERVAL))

    def wait_for_copies(execute, sql, params, many, context):
        # psycopg2 does not guard a connection in COPY state against a second thread: every query of the
        # importing thread first starts the held COPYs and waits until all are done, so it sees every row.
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
    finally:
        sys.setswitchinterval(switch_interval)


def ask(fn):
    """fn(cursor) in turn on the import's connection: inside background_copy() queued ahead of the held COPYs (the
    worker runs it as soon as the COPYs released before are done); elsewhere at once. Returns a Future."""
    worker = getattr(_worker, "current", None)
    if worker is not None:
        return worker.ask(fn)
    result = Future()
    with connection.cursor() as cursor:
        result.set_result(fn(cursor))
    return result


def release():
    """Start the COPYs held so far (a no-op outside background_copy())."""
    worker = getattr(_worker, "current", None)
    if worker is not None:
        worker.release()


def check_constraints_now():
    """Foreign keys are DEFERRABLE INITIALLY DEFERRED (Django): PostgreSQL would check every imported row at COMMIT,
    serially, after all the work. Checked immediately instead, the checks run inside each COPY on the worker thread,
    overlapping with the parsing of the next chunk. Same checks, same transaction — only earlier."""
    if use_copy():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def csv_text(rows):
    """Rows (tuples) as CSV text; csv.writer does the quoting in C."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def copy_rows(table, columns, rows, *, not_null=(), wait=False, text=None):
    """COPY rows (tuples) — or ready CSV `text` — into `table`. An unquoted empty field is NULL except in `not_null`
    columns, where FORCE_NOT_NULL reads it as '' (so blank CharFields stay '').
    Inside background_copy() the COPY runs on the worker thread unless `wait`."""
    buf = io.StringIO(csv_text(rows) if text is None else text)
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
        cursor.copy_expert(sql, buf, size=COPY_READ_SIZE)


def _not_null_text(model, columns):
    """Columns of `model` that are NOT NULL text: an empty CSV field must be '' there, not NULL."""
    by_column = {f.column: f for f in model._meta.concrete_fields}
    return [c for c in columns if c in by_column and not by_column[c].null and by_column[c].empty_strings_allowed]


def _defaults(model, rows, *, adding, now):
    """Fill the fields a dict leaves out (defaults, auto_now) — what Model.__init__/pre_save would have done."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    always, constant, dynamic = {}, {}, []
    for f in fields:
        if getattr(f, "auto_now", False) or (adding and getattr(f, "auto_now_add", False)):
            always[f.attname] = now
        elif f.has_default():
            if callable(f.default):
                dynamic.append((f.attname, f.get_default))
            else:
                constant[f.attname] = f.get_default()
        elif f.null:
            constant[f.attname] = None
        elif f.empty_strings_allowed and f.blank:
            constant[f.attname] = ""
    keys = constant.keys()
    for row in rows:
        for attname in keys - row.keys():
            row[attname] = constant[attname]
        for attname, default in dynamic:
            if attname not in row:
                row[attname] = default()
        row.update(always)
    return [f.attname for f in fields]


def _copy_history(model, rows, stamp, history_type, main=None):
    """One history row per row. `main` = (attnames, CSV text) of the rows just written to the model's table: when
    the history tracks exactly those columns in that order, its CSV is that text with the history columns appended
    to each line (one str.replace in C instead of a second csv pass over every value)."""
    history = model.history.model
    tracked = [f.attname for f in history.tracked_fields]
    column_of = {f.attname: f.column for f in history._meta.concrete_fields}
    columns = [column_of[a] for a in tracked] + ["history_date", "history_change_reason", "history_type",
                                                 "history_user_id"]
    tail = (stamp.when, stamp.reason, history_type, stamp.user_id)
    text = None
    if main is not None and main[0] == tracked and main[1].count("\n") == len(rows):  # no line break in a value
        text = main[1].replace("\n", "," + csv_text([tail]))
    if text is None:
        pick = _picker(tracked)
        text = csv_text([pick(row) + tail for row in rows])
    copy_rows(history._meta.db_table, columns, None, text=text, not_null=_not_null_text(history, columns))


_sequences = {}


def _sequence(model):
    key = (connection.alias, model._meta.db_table)
    if key not in _sequences:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [model._meta.db_table, model._meta.pk.column])
            _sequences[key] = cursor.fetchone()[0]
    return _sequences[key]


def allocate_ids(model, count):
    """Primary keys for `count` new rows from the table's sequence (PostgreSQL), in one query; [] elsewhere."""
    return allocate_many({model: count})[model]


def allocate_many(counts):
    """{model: count} → {model: [ids]} from each table's sequence in one round trip (PostgreSQL); [] elsewhere."""
    query = allocation_query(counts)
    with connection.cursor() as cursor:
        return query(cursor)


def allocation_query(counts):
    """fn(cursor) → {model: [ids]} for {model: count}, built here (the sequences' names are looked up once, on this
    thread) so that it can run on the COPY worker (ask()). nextval() of a regclass constant: resolving the sequence
    per row (pg_get_serial_sequence) cost 8× the nextval itself."""
    wanted = [(model, count) for model, count in counts.items() if count] if use_copy() else []
    parts, params = [], []
    for index, (model, count) in enumerate(wanted):
        parts.append(f"SELECT {index}, nextval(%s::regclass) FROM generate_series(1, %s)")
        params += [_sequence(model), count]
    sql = " UNION ALL ".join(parts)

    def run(cursor):
        ids = {model: [] for model in counts}
        if wanted:
            cursor.execute(sql, params)
            for index, new_id in cursor.fetchall():
                ids[wanted[index][0]].append(new_id)
        return ids

    return run


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
    text = csv_text(values)
    copy_rows(table, columns, None, text=text, not_null=_not_null_text(model, columns))
    _copy_history(model, rows, stamp, "+", main=(attnames, text))
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
