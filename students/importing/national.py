"""Import of the national 学籍系统 Excel export for one school (SPEC §3, §9).

One pass over the file, in chunks of CHUNK rows: clean every cell through the resource widgets, look up the
chunk's existing students in one query (by 身份证件号 or 学籍号), classify each row new / updated / unchanged /
invalid, and — when committing — write the chunk with bulk.py (rows + history). A commit runs in one transaction:
"all" mode rolls everything back if any row is invalid (the report still lists every error); "valid_only" writes the
valid rows. Preview runs the same code without writing.

Rules worth knowing (README "学籍导入"):
- Re-import updates by 身份证件号, else 学籍号; never duplicates. A student registered at another school is an error
  (a transfer is a 学籍异动, not an import).
- A blank cell never erases a value already recorded; the import never changes a student's 学籍状态 and never
  removes students missing from the file (it counts them).
- Family members 成员1/成员2 are matched to existing ones by ID number, else by name; others are kept.
- 留守/孤儿/残疾/随迁 columns add vulnerability flags (source 学籍系统导入); an import never ends a flag.
- Classes the school lacks in the current school year are created on commit (listed in the preview).
"""
import contextlib
import datetime
import gc
import time
from collections import defaultdict
from operator import mul

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from kongchuo.models import School, SchoolYear, Village
from students import idnumbers, pinyin
from students.models import Enrolment, FamilyMember, Student, VulnerabilityFlag
from students.plausibility import age_on, grade_age_warning

from . import bulk
from .classes import ClassError, ClassResolver
from .columns import MEMBER_PREFIXES, NATIONAL_MAP
from .reader import FileFormatError, SheetReader
from .report import Report
from .resources import FLAG_WIDGETS, FamilyMemberResource, StudentResource, cleaning_plan
from .widgets import cell_text

CHUNK = 2000
FIRST_CHUNK = 400
STUDENT_COLUMN = {"name": "姓名", "former_name": "曾用名", "gender": "性别", "birth_date": "出生日期",
                  "ethnicity": "民族", "id_type": "身份证件类型", "id_number": "身份证件号",
                  "student_number": "学籍号", "phone": "联系电话", "hukou_address": "户口所在地", "address": "现住址"}
MEMBER_COMPARE = ("name", "relation", "phone", "id_type", "id_number", "is_guardian", "address", "employer")
FLAG_KINDS = VulnerabilityFlag.Kind


def quick_id(number, today):
    """IdInfo for a well-formed, valid 18-digit resident ID number, else None — then the caller asks
    students.idnumbers / the registry's identity checks, which explain what is wrong. Same rule (GB 11643), fast."""
    if not number or len(number) != 18 or not number[:17].isdigit() or not number.isascii():
        return None
    # digits as bytes: each is its code point minus 48, and the weights sum to 100 → subtract 4800 once
    if idnumbers.CHECK_CHARS[(sum(map(mul, number[:17].encode(), idnumbers.WEIGHTS)) - 4800) % 11] != number[17]:
        return None
    try:
        birth = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None
    if birth > today or birth.year < 1800:
        return None
    return idnumbers.IdInfo(number=number, birth_date=birth, gender="M" if int(number[16]) % 2 else "F")


@contextlib.contextmanager
def _no_cyclic_gc():
    """The import allocates millions of small acyclic objects (cells, row dicts, tuples): the cyclic collector's
    full passes over them paused the importing thread — and so the pipeline — for ~0.1 s several times a file.
    Reference counting still frees everything; the collector runs again afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class Registered:
    """What the registry already holds for a chunk's registered students: the ones with an open enrolment, their
    family members (value dicts by student) and their active flag kinds. Fetched as raw SQL with arrays (= ANY) on
    the import's cursor, in the same job as the chunk's lookup (bulk.ask)."""

    def __init__(self):
        self.enrolled, self.members, self.flags = set(), defaultdict(list), defaultdict(set)

    @classmethod
    def fetch(cls, cursor, student_ids):
        if not bulk.use_copy():
            return cls.fetch_orm(student_ids)
        found = cls()
        qn = connection.ops.quote_name
        cursor.execute(f"SELECT student_id FROM {qn(Enrolment._meta.db_table)} "
                       "WHERE student_id = ANY(%s) AND end_date IS NULL", [student_ids])
        found.enrolled = {student_id for (student_id,) in cursor.fetchall()}
        fields = FamilyMember._meta.concrete_fields
        cursor.execute(f"SELECT {', '.join(qn(f.column) for f in fields)} FROM {qn(FamilyMember._meta.db_table)} "
                       "WHERE student_id = ANY(%s) ORDER BY student_id, is_guardian DESC, id", [student_ids])  # Meta.ordering
        names = [f.attname for f in fields]
        for values in cursor.fetchall():
            member = dict(zip(names, values))
            found.members[member["student_id"]].append(member)
        cursor.execute(f"SELECT student_id, kind FROM {qn(VulnerabilityFlag._meta.db_table)} "
                       "WHERE student_id = ANY(%s) AND end_date IS NULL", [student_ids])
        for student_id, kind in cursor.fetchall():
            found.flags[student_id].add(kind)
        return found

    @classmethod
    def fetch_orm(cls, student_ids):
        """The same through the ORM (SQLite, the portable path): runs on the importing thread."""
        found = cls()
        found.enrolled = set(Enrolment.objects.filter(student_id__in=student_ids, end_date__isnull=True)
                             .values_list("student_id", flat=True))
        for member in (FamilyMember.objects.filter(student_id__in=student_ids)
                       .values(*[f.attname for f in FamilyMember._meta.concrete_fields])):
            found.members[member["student_id"]].append(member)
        for student_id, kind in (VulnerabilityFlag.objects.filter(student_id__in=student_ids, end_date__isnull=True)
                                 .values_list("student_id", "kind")):
            found.flags[student_id].add(kind)
        return found


class _Row:
    __slots__ = ("number", "cells", "student", "members", "flags", "class_key", "village_id", "errors", "existing",
                 "outcome", "changes", "member_ops", "new_flags", "id_key", "sn_key")

    def __init__(self, number, cells):
        self.number, self.cells = number, cells
        self.student, self.members, self.flags, self.errors = {}, [], [], []
        self.class_key = self.village_id = self.existing = self.outcome = None
        self.changes, self.member_ops, self.new_flags = {}, [], []
        self.id_key = self.sn_key = None


class NationalImport:
    def __init__(self, *, school, path, actor=None, reason="", engine=None, today=None, progress=None):
        self.school = school
        self.progress = progress  # job layer: progress(done, total) after each chunk (may raise JobCancelled)
        self.path = path
        self.actor = actor
        self.reason = reason or f"学籍系统导入（{school.name}）"
        self.engine = engine
        self.today = today or timezone.localdate()
        self.report = Report()
        self._pinyin, self._syllable_cache = {}, {}

    # ------------------------------------------------------------------ entry point
    def run(self, *, commit=False, valid_only=False):
        report = self.report
        try:
            self._prepare()
            if commit:
                self._commit(valid_only)
            else:
                # a preview writes nothing, but its lookups run one chunk ahead on the worker all the same
                with bulk.background_copy(), _no_cyclic_gc():
                    self._process(commit=False, valid_only=valid_only)
        finally:
            if getattr(self, "reader", None) is not None:
                self.reader.close()
        report.rows_written = self.stamp.rows_written if report.committed else 0
        return report.finish()

    def _commit(self, valid_only):
        report = self.report
        try:
            with transaction.atomic():
                School.objects.select_for_update().filter(pk=self.school.pk).first()
                bulk.check_constraints_now()
                with bulk.background_copy() as worker, _no_cyclic_gc():
                    self._process(commit=True, valid_only=valid_only)
                if worker is not None:
                    report.details["copy_seconds"] = round(worker.busy_seconds, 3)
                if report.invalid and not valid_only:
                    transaction.set_rollback(True)
                    report.details["rolled_back"] = True
                else:
                    report.committed = True
        except IntegrityError as exc:
            # Rows were checked against the registry when their chunk was read; another user registering the same
            # 身份证件号 or 学籍号 meanwhile makes the database refuse the write. Nothing is kept.
            report.committed = False
            raise FileFormatError("导入时发现身份证件号或学籍号已被同时进行的其他操作登记（或数据不一致），"
                                  "本次未保存任何数据：请重新上传预览后再导入。") from exc

    def _prepare(self):
        self.year = SchoolYear.objects.filter(is_current=True).first()
        if self.year is None:
            raise FileFormatError("系统尚未设置当前学年，无法确定班级所属学年：请联系系统管理员。")
        self.reader = SheetReader(self.path, NATIONAL_MAP, required=("姓名", "性别", "出生日期", "班级"),
                                  anchors=("姓名",), engine=self.engine).open()
        columns = self.reader.columns
        if "身份证件号" not in columns and "学籍号" not in columns:
            raise FileFormatError("缺少“身份证件号”列（或“学籍号”列）：重复导入时要靠它识别学生。")
        self.report.header_row = self.reader.header_row
        self.report.unknown_columns = self.reader.unknown_columns
        self.report.engine = self.reader.engine
        present = set(columns)
        self.student_plan = [(attr, column, columns[column], widget.clean)
                             for attr, column, widget in cleaning_plan(StudentResource(), present)]
        self.member_plans = [(prefix, [(attr, column, columns[column], widget.clean) for attr, column, widget
                                       in cleaning_plan(FamilyMemberResource(prefix=prefix), present)])
                             for prefix in MEMBER_PREFIXES if prefix + "姓名" in present]
        self.flag_plan = [(col, columns[col], widget.clean) for col, widget in FLAG_WIDGETS.items() if col in present]
        self.col = {name: columns.get(name) for name in ("学校标识码", "班级", "家庭地址", "出生日期")}
        self.resolver = ClassResolver(self.school, self.year)
        villages = Village.objects.filter(subdistrict__area_id=self.school.area_id).values_list("name", "pk")
        self.villages = sorted(villages, key=lambda v: -len(v[0]))
        self.seen_ids, self.seen_sns = {}, {}
        self.matched_pks = set()
        self._new_last_chunk = None  # rows of the previous chunk that were new (None before the first)
        self.stamp = bulk.Stamp(user_id=getattr(self.actor, "pk", None), reason=self.reason)

    def _process(self, *, commit, valid_only):
        """Chunks flow through a two-stage pipeline: chunk K's lookup is queued (bulk.ask) as soon as it is parsed,
        then chunk K-1 — whose lookup was answered meanwhile — is classified and written. So neither side waits:
        PostgreSQL answers the lookups and takes the COPYs in turn while Python parses, classifies and builds."""
        chunk, pending = [], None
        timings = self.report.details.setdefault("timings", {"read_parse": 0.0, "classify": 0.0, "write": 0.0})
        started = time.perf_counter()
        size = FIRST_CHUNK  # a small first chunk: the database starts writing sooner
        for number, cells in self.reader.rows():
            chunk.append(self._parse(number, cells))
            if len(chunk) >= size:
                size = CHUNK
                timings["read_parse"] += time.perf_counter() - started
                pending = self._advance(chunk, pending, commit=commit, valid_only=valid_only)
                chunk = []
                started = time.perf_counter()
        timings["read_parse"] += time.perf_counter() - started
        if chunk:
            pending = self._advance(chunk, pending, commit=commit, valid_only=valid_only)
        if pending is not None:
            self._finish(*pending, commit=commit, valid_only=valid_only)
        for key in timings:
            timings[key] = round(timings[key], 3)
        on_roll = set(Student.objects.filter(school=self.school, status__in=Student.ON_ROLL_STATUSES)
                      .values_list("pk", flat=True))
        self.report.details["missing_from_file"] = len(on_roll - self.matched_pks)
        self.report.details["classes_to_create"] = sorted(label for key, label in self.resolver.to_create.items()
                                                          if key not in self.resolver.classes)

    def _advance(self, chunk, pending, *, commit, valid_only):
        """Queue `chunk`'s lookup, then finish the previous chunk; returns the new pending (chunk, answer).
        The lookup only concerns students registered before the import — a row repeating an earlier row of the file
        is caught by seen_ids first, whether or not that row is written yet."""
        writing = commit and (valid_only or not self.report.invalid)
        answer = bulk.ask(self._lookup_query(chunk, writing))
        if pending is not None:
            self._finish(*pending, commit=commit, valid_only=valid_only)
        return chunk, answer

    def _finish(self, chunk, answer, *, commit, valid_only):
        timings = self.report.details["timings"]
        started = time.perf_counter()
        found, registered, self._ids = answer.result()
        self._classify(chunk, found, registered)
        timings["classify"] += time.perf_counter() - started
        report = self.report
        for row in chunk:
            report.total_rows += 1
            if row.errors:
                report.invalid += 1
                for column, value, message in row.errors:
                    report.error(row.number, column, value, message)
            else:
                setattr(report, row.outcome, getattr(report, row.outcome) + 1)
        self._new_last_chunk = sum(1 for row in chunk if row.outcome == "new")
        if self.progress is not None:
            self.progress(report.total_rows, self.reader.estimated_rows)
        if commit and (valid_only or not report.invalid):
            started = time.perf_counter()
            self._write([r for r in chunk if not r.errors])
            bulk.release()  # queued behind the next chunk's lookup
            timings["write"] += time.perf_counter() - started

    # ------------------------------------------------------------------ cleaning one row
    def _parse(self, number, cells):
        row = _Row(number, cells)
        errors = row.errors
        student = row.student
        for attr, column, index, clean in self.student_plan:
            try:
                student[attr] = clean(cells[index])
            except ValueError as exc:
                errors.append((column, cells[index], str(exc)))
        self._identity(row)
        col = self.col
        if col["学校标识码"] is not None:
            code = cell_text(cells[col["学校标识码"]])
            if code and code != self.school.code:
                errors.append(("学校标识码", code, f"与所选学校（{self.school.name}，标识码 {self.school.code}）不一致"))
        class_text = cell_text(cells[col["班级"]])
        try:
            row.class_key = self.resolver.resolve(class_text)
        except ClassError as exc:
            errors.append(("班级", class_text, str(exc)))
        self._age(row)
        address = student.get("address") or (cell_text(cells[col["家庭地址"]]) if col["家庭地址"] is not None else "")
        if address:
            for village_name, village_id in self.villages:
                if village_name in address:
                    row.village_id = village_id
                    break
        for prefix, plan in self.member_plans:
            member = {}
            for attr, column, index, clean in plan:
                try:
                    value = clean(cells[index])
                except ValueError as exc:
                    errors.append((column, cells[index], str(exc)))
                    continue
                if value is not None:
                    member[attr] = value
            if not member.get("name"):
                if member.get("relation") or member.get("phone") or member.get("id_number"):
                    errors.append((prefix + "姓名", "", "为空，但填写了该成员的其他信息"))
                continue
            if not member.get("relation"):
                errors.append((prefix + "关系", "", "不能为空（父亲、母亲、祖父、祖母…）"))
            if member.get("id_number"):
                self._member_id(row, prefix, member)
            row.members.append(member)
        for column, index, clean in self.flag_plan:
            try:
                value = clean(cells[index])
            except ValueError as exc:
                errors.append((column, cells[index], str(exc)))
                continue
            if not value:
                continue
            if column == "是否留守儿童":
                row.flags.append((value, ""))
                if cell_text(cells[index]) == "是":
                    self.report.warning(number, column, "未注明单亲或双亲留守，按单亲留守标记")
            elif column == "是否孤儿":
                row.flags.append((FLAG_KINDS.ORPHAN, ""))
            elif column == "残疾类型":
                row.flags.append((FLAG_KINDS.DISABLED, value))
            else:
                row.flags.append((FLAG_KINDS.MIGRANT, ""))
        return row

    def _age(self, row):
        """An age outside the grade's range is a warning in the preview, like the ID/sex mismatch (imported as
        written; students/plausibility.py)."""
        birth = row.student.get("birth_date")
        if not birth or birth > self.today or any(column in ("出生日期", "身份证件号") for column, _, _ in row.errors):
            return
        if row.class_key:
            message = grade_age_warning(birth, row.class_key[0], self.resolver.school_year)
        else:
            age = age_on(birth, self.today)
            message = None if 3 <= age <= 25 else f"按出生日期计算年龄为 {age} 岁"
        if message:
            self.report.warning(row.number, "出生日期", message + "，请核对（按文件内容导入）")

    def _identity(self, row):
        student = row.student
        for column, _, _ in row.errors:
            if column in ("性别", "出生日期", "身份证件号", "学籍号"):
                return  # the cell itself is wrong; its message says why
        id_type = student.get("id_type") or Student.IdType.RESIDENT
        number, sn = student.get("id_number"), student.get("student_number")
        info = quick_id(number, self.today) if id_type == Student.IdType.RESIDENT else None
        if info is not None and (not sn or sn == "G" + number):
            gender, birth = student.get("gender"), student.get("birth_date")
            warnings = idnumbers.mismatches(info, gender, birth)
            student["gender"], student["birth_date"] = gender or info.gender, birth or info.birth_date
            student["student_number"] = sn or "G" + number
        else:
            from students.services.identity import check_student_identity

            try:
                identity = check_student_identity(id_type=id_type, id_number=number, student_number=sn,
                                                  gender=student.get("gender"), birth_date=student.get("birth_date"))
            except ValidationError as exc:
                for attr, messages in exc.message_dict.items():
                    column = STUDENT_COLUMN.get(attr, attr)
                    index = self.reader.columns.get(column)
                    row.errors.append((column, row.cells[index] if index is not None else "", messages[0]))
                return
            student["id_number"], student["student_number"] = identity.id_number, identity.student_number
            student["gender"], student["birth_date"] = identity.gender, identity.birth_date
            if not student["student_number"] and identity.id_number and id_type == Student.IdType.RESIDENT:
                student["student_number"] = "G" + identity.id_number
            warnings = identity.warnings
        for message in warnings:
            self.report.warning(row.number, "身份证件号", message + "（按文件内容导入，请核对）")
        birth = student["birth_date"]
        if birth > self.today:
            index = self.col["出生日期"]
            row.errors.append(("出生日期", row.cells[index] if index is not None else "", "晚于今天"))
        if not student["id_number"] and not student["student_number"]:
            row.errors.append(("身份证件号", "", "身份证件号和学籍号不能都为空（重复导入时靠它们识别学生）"))
        row.id_key, row.sn_key = student["id_number"], student["student_number"]

    def _member_id(self, row, prefix, member):
        id_type = member.get("id_type") or Student.IdType.RESIDENT
        if id_type == Student.IdType.RESIDENT and quick_id(member["id_number"], self.today) is not None:
            return
        from students.services.identity import check_guardian_id

        try:
            number, notes = check_guardian_id(id_type=id_type, id_number=member["id_number"])
        except ValidationError as exc:
            row.errors.append((prefix + "身份证件号", member["id_number"], exc.messages[0]))
            return
        member["id_number"] = number
        for note in notes:
            self.report.warning(row.number, prefix + "身份证件号", note)

    # ------------------------------------------------------------------ matching a chunk with the database
    def _lookup_query(self, chunk, writing):
        """fn(cursor) → (students registered with the chunk's ID numbers or 学籍号 as value dicts, ids for the rows
        the chunk may insert). Built here, run in turn on the import's connection (bulk.ask). The ids are an upper
        bound (every valid row might be new): unused ones only leave gaps in the sequences."""
        ids = {r.id_key for r in chunk if r.id_key}
        sns = {r.sn_key for r in chunk if r.sn_key}
        lookup = None
        if ids or sns:  # one query for both keys
            columns = [f.attname for f in Student._meta.concrete_fields] + ["school__name"]
            qs = Student.objects.filter(Q(id_number__in=ids) | Q(student_number__in=sns)).values(*columns)
            lookup = (qs.query.get_compiler(using=qs.db).as_sql(), columns)
        allocate = None
        if writing:
            valid = [r for r in chunk if not r.errors]
            if self._new_last_chunk == 0:
                valid = []  # the previous chunk was all registered students (a re-import): take ids when needed
            allocate = bulk.allocation_query({
                Student: len(valid), FamilyMember: sum(len(r.members) for r in valid), Enrolment: len(valid),
                VulnerabilityFlag: sum(len(set(r.flags)) for r in valid)})

        def run(cursor):
            found, registered = [], Registered()
            if lookup is not None:
                (sql, params), columns = lookup
                cursor.execute(sql, params)
                found = [dict(zip(columns, values)) for values in cursor.fetchall()]
                if found:
                    registered = Registered.fetch(cursor, [student["id"] for student in found])
            return found, registered, (allocate(cursor) if allocate is not None else {})

        return run

    def _classify(self, chunk, found, registered):
        ids = {r.id_key for r in chunk if r.id_key}
        by_id, by_sn = {}, {}
        for existing in found:
            if existing["id_number"] in ids:
                by_id[existing["id_number"]] = existing
            if existing["student_number"]:
                by_sn[existing["student_number"]] = existing
        for row in chunk:
            self._match(row, by_id, by_sn)
        members, flags = registered.members, registered.flags
        self._enrolled = registered.enrolled
        for row in chunk:
            if row.errors:
                row.outcome = "invalid"
                continue
            if row.existing is None:
                row.outcome = "new"
                row.member_ops = [("new", m, None) for m in row.members]
                row.new_flags = list(dict.fromkeys(row.flags))
                continue
            self._diff(row, members[row.existing["id"]], flags[row.existing["id"]])

    def _match(self, row, by_id, by_sn):
        for key, seen, label in ((row.id_key, self.seen_ids, "身份证件号"), (row.sn_key, self.seen_sns, "学籍号")):
            if key:
                if key in seen:
                    row.errors.append((label, key, f"与第 {seen[key]} 行的{label}相同（同一学生只能出现一次）"))
                else:
                    seen[key] = row.number
        if row.errors:
            return
        a, b = by_id.get(row.id_key), by_sn.get(row.sn_key)
        if a and b and a["id"] != b["id"]:
            row.errors.append(("学籍号", row.sn_key, "身份证件号与学籍号分别属于系统中两名不同的学生，请核对"))
            return
        existing = a or b
        if existing is None:
            return
        if existing["school_id"] != self.school.pk:
            status = Student.Status(existing["status"]).label
            where = existing["school__name"] or "未分配学校"
            row.errors.append(("身份证件号", row.id_key or row.sn_key,
                               f"该学生已登记在本区另一所学校（{where}，{status}）。如是转学，请先办理转入，不能用导入改学校"))
            return
        row.existing = existing
        self.matched_pks.add(existing["id"])

    def _diff(self, row, members, active_flags):
        old = row.existing
        changes = {}
        for attr, value in row.student.items():
            if value in (None, "") or attr not in old:
                continue  # a blank cell never erases what is recorded
            if old[attr] != value:
                changes[attr] = value
        level_number = row.class_key
        current = self.resolver.classes.get(level_number)
        if current is None or current.pk != old["school_class_id"]:
            changes["school_class"] = level_number
        if row.village_id and row.village_id != old["village_id"]:
            changes["village_id"] = row.village_id
        if old["status"] not in Student.ON_ROLL_STATUSES:
            self.report.warning(row.number, "姓名", f"该学生在系统中为“{Student.Status(old['status']).label}”，导入只更新"
                                                    "基本信息，不改变学籍状态；如已复学请办理复学")
        row.changes = changes
        unmatched = list(members)
        for member in row.members:
            match = None
            for candidate in unmatched:
                if member.get("id_number") and candidate["id_number"] == member["id_number"]:
                    match = candidate
                    break
            if match is None:
                for candidate in unmatched:
                    if candidate["name"] == member["name"]:
                        match = candidate
                        break
            if match is None:
                row.member_ops.append(("new", member, None))
                continue
            unmatched.remove(match)
            diff = {k: v for k, v in member.items() if k in MEMBER_COMPARE and v not in (None, "")
                    and match[k] != v}
            if "is_guardian" in member and member["is_guardian"] != match["is_guardian"]:
                diff["is_guardian"] = member["is_guardian"]
            if diff:
                row.member_ops.append(("update", diff, match))
        for kind, disability in dict.fromkeys(row.flags):
            if kind in active_flags:
                continue
            if kind in (FLAG_KINDS.LEFT_BEHIND_ONE, FLAG_KINDS.LEFT_BEHIND_BOTH) and (
                    {FLAG_KINDS.LEFT_BEHIND_ONE, FLAG_KINDS.LEFT_BEHIND_BOTH} & active_flags):
                self.report.warning(row.number, "是否留守儿童", "系统中已有另一种留守标记，未更改（请在学生页面核对）")
                continue
            row.new_flags.append((kind, disability))
        row.outcome = "updated" if (changes or row.member_ops or row.new_flags) else "unchanged"

    # ------------------------------------------------------------------ writing a chunk
    def _search_columns(self, target):
        """Fill the search columns as students.pinyin.fill does (the test suite checks they agree), with the
        surname and the given name cached separately: pypinyin costs ~100 µs a name, and given names repeat."""
        name = target["name"]
        cached = self._pinyin.get(name)
        if cached is None:
            cached = self._pinyin[name] = self._name_columns(name)
        target["name_pinyin"], target["name_initials"] = cached
        target["id_last4"] = pinyin.id_last4(target.get("id_number"))

    def _name_columns(self, name):
        surname, given = pinyin.split_surname(name)
        if len(surname) == 1 and "·" not in name and " " not in name and given:
            head = self._syllable_cache.get(surname)
            if head is None:
                head = self._syllable_cache[surname] = pinyin.syllables(surname)
            tail = self._syllable_cache.get("+" + given)
            if tail is None:
                # a neutral one-syllable surname in front reads the given name exactly as syllables() does
                tail = self._syllable_cache["+" + given] = pinyin.syllables("王" + given)[1:]
            syllables = head + tail
        else:
            syllables = pinyin.syllables(name)
        return "".join(syllables)[:200], "".join(s[0] for s in syllables if s)[:50]

    def _place(self, key):
        school_class = self.resolver.classes.get(key)
        if school_class is None:
            self.resolver.to_create.setdefault(key, str(key))
            self.report.bump("classes_created", self.resolver.materialise())
            school_class = self.resolver.classes[key]
        return {"school_id": self.school.pk, "grade_id": school_class.grade_id, "school_class_id": school_class.pk}

    def _write(self, rows):
        stamp, today = self.stamp, self.today
        new_students, new_members, new_flags, enrolments = [], [], [], []
        student_updates, update_fields, member_updates, member_fields, moved = [], set(), [], set(), []
        pending_members, pending_flags = [], []
        for row in rows:
            if row.outcome == "new":
                target = {k: v for k, v in row.student.items() if v is not None}
                target.setdefault("ethnicity", "汉族")
                target.update(self._place(row.class_key), village_id=row.village_id,
                              status=Student.Status.ENROLLED)
                self._search_columns(target)
                new_students.append(target)
                pending_members.append((target, [m for _, m, _ in row.member_ops]))
                pending_flags.append((target, row.new_flags))
            elif row.outcome == "updated":
                target = {k: v for k, v in row.existing.items() if k != "school__name"}
                changes = dict(row.changes)
                if "school_class" in changes:
                    changes.pop("school_class")
                    placement = self._place(row.class_key)
                    changes.update(placement)
                    moved.append(target["id"])
                if changes:
                    target.update(changes)
                    if {"name", "id_number"} & set(changes):
                        self._search_columns(target)
                        changes.update({f: target[f] for f in pinyin.SEARCH_FIELDS})
                    student_updates.append(target)
                    update_fields.update(changes)
                for op, member, match in row.member_ops:
                    if op == "new":
                        new_members.append(dict(member, student_id=target["id"]))
                    else:
                        member_updates.append(dict(match, **member))
                        member_fields.update(member)
                pending_flags.append((target, row.new_flags))
        ids = self._ids
        bulk.insert(Student, new_students, stamp, ids=ids[Student])
        self.matched_pks.update(target["id"] for target in new_students)
        for target, members in pending_members:
            for member in members:
                new_members.append(dict(member, student_id=target["id"]))
            if target.get("school_class_id"):
                enrolments.append({"student_id": target["id"], "school_year_id": self.year.pk,
                                   "school_id": target["school_id"], "grade_id": target["grade_id"],
                                   "school_class_id": target["school_class_id"], "start_date": today})
        for target, flags in pending_flags:
            for kind, disability in flags:
                new_flags.append({"student_id": target["id"], "kind": kind, "start_date": today,
                                  "source": VulnerabilityFlag.Source.IMPORT, "source_detail": self.reason[:200],
                                  "disability_type": disability, "set_by_id": stamp.user_id, "set_at": stamp.when})
        bulk.insert(FamilyMember, new_members, stamp, ids=ids[FamilyMember])
        bulk.insert(Enrolment, enrolments, stamp, ids=ids[Enrolment])
        bulk.insert(VulnerabilityFlag, new_flags, stamp, ids=ids[VulnerabilityFlag])
        bulk.update(Student, student_updates, sorted(update_fields), stamp)
        bulk.update(FamilyMember, member_updates, sorted(member_fields), stamp)
        report = self.report
        report.bump("family_created", len(new_members))
        report.bump("family_updated", len(member_updates))
        report.bump("flags_created", len(new_flags))
        report.bump("enrolments_created", len(enrolments))
        if moved:
            self._sync_enrolments(moved)
        existing = [r.existing["id"] for r in rows if r.outcome in ("updated", "unchanged")
                    and r.existing["id"] not in self._enrolled and r.existing["id"] not in moved]
        if existing:
            from students.services.enrolment import enrolments_open_bulk

            students = Student.objects.filter(pk__in=existing).only("pk", "school_id", "status", "grade_id",
                                                                     "school_class_id")
            report.bump("enrolments_created", enrolments_open_bulk(list(students), on=today))

    def _sync_enrolments(self, student_ids):
        """Students whose class changed: close the old enrolment and open the new one (registry service)."""
        from students.services.enrolment import enrolment_sync

        for student in Student.objects.filter(pk__in=student_ids).select_related("grade"):
            if self.actor is not None:
                student._history_user = self.actor
            enrolment_sync(student=student, on=self.today, actor=self.actor)
