"""Fast writes for imports, with a django-simple-history row for every row written (PITFALLS: bulk paths skip
save() and history signals).

PostgreSQL: primary keys are taken from the table's sequence in one query, then rows and history rows go in with
COPY (updates: COPY into a temporary table + one UPDATE … FROM). Other databases (the SQLite demo): Django's
bulk_create / bulk_update through simple-history's bulk_create_with_history / bulk_update_with_history.
Rows are dicts of attname → value; fields left out get their model default.
"""
import datetime
import io
import json
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


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value):
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False).translate(_ESCAPES)
    return str(value)


def _copy(table, columns, rows):
    buf = io.StringIO()
    write = buf.write
    for row in rows:
        write("\t".join([_copy_text(v) for v in row]))
        write("\n")
    buf.seek(0)
    cols = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        cursor.copy_expert(f"COPY {connection.ops.quote_name(table)} ({cols}) FROM STDIN", buf)


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


def _history_rows(model, rows, stamp, history_type):
    history = model.history.model
    tracked = [f.attname for f in history.tracked_fields]
    columns = tracked + ["history_date", "history_change_reason", "history_type", "history_user_id"]
    tail = (stamp.when, stamp.reason, history_type, stamp.user_id)
    return history._meta.db_table, columns, [tuple(row[a] for a in tracked) + tail for row in rows]


def insert(model, rows, stamp):
    """Insert `rows` (dicts) with one '+' history row each; sets row['id']; returns the number of rows."""
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
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                       [table, model._meta.pk.column, len(rows)])
        ids = [r[0] for r in cursor.fetchall()]
    for row, new_id in zip(rows, ids):
        row[pk] = new_id
    columns = [pk] + attnames
    _copy(table, columns, [tuple(row[c] for c in columns) for row in rows])
    _copy(*_history_rows(model, rows, stamp, "+"))
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
    _copy(temp, columns, [tuple(row[c] for c in [pk] + fields) for row in rows])
    sets = ", ".join(f"{qn(c)} = t.{qn(c)}" for c in columns[1:])
    key = qn(columns[0])
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {qn(table)} AS m SET {sets} FROM {qn(temp)} AS t WHERE m.{key} = t.{key}")
        cursor.execute(f"DROP TABLE {qn(temp)}")
    _copy(*_history_rows(model, rows, stamp, "~"))
    stamp.rows_written += 2 * len(rows)
    return len(rows)


def as_row(instance):
    """An existing model instance as a row dict (attname → value)."""
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}
