"""学籍比对 (SPEC §4, seed 五.2): a 村/社区 list of school-age children matched against enrolment.

Each child is matched against the students of every school of the area — by 身份证件号 first, then by 姓名 + 出生日期
when the list has no (valid) number. The unmatched become candidates: 疑似适龄未入学 (no record at all) or 疑似失学
(a record exists but the child is off the roll). The village and the 教育办 verify them (services.population_*).

Same flow and rules as the 学籍 import: preview, then all rows or only the valid ones, in one transaction; every
cell error names the row and column. A child appears once per village: a new list for the same village updates the
existing entries (by ID number, else name + birth date) and keeps what was verified.
"""
import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from kongchuo.models import SchoolYear
from students import idnumbers
from students.models import PopulationEntry, Student

from . import bulk
from . import widgets as w
from .columns import POPULATION_MAP
from .reader import FileFormatError, SheetReader
from .report import Report

CHUNK = 2000
AGE_MIN, AGE_MAX = 6, 15
Entry = PopulationEntry
CELL_WIDGETS = {
    "姓名": ("name", w.TextWidget(50, required=True, compact=True)),
    "性别": ("gender", w.ChoiceWidget(w.GENDER, hint="男/女 或 1/2")),
    "出生日期": ("birth_date", w.ChineseDateWidget()),
    "身份证件号": ("id_number", w.IdNumberWidget()),
    "监护人": ("guardian_name", w.TextWidget(50, compact=True)),
    "联系电话": ("guardian_phone", w.PhoneWidget()),
    "现住址": ("address", w.TextWidget(200)),
    "备注": ("note", w.TextWidget(200)),
}
COMPARE = ("name", "gender", "birth_date", "id_number", "guardian_name", "guardian_phone", "address", "note")


def reference_date(today=None):
    """Ages are counted on 31 August of the current school year's first calendar year (入学年龄 rule)."""
    year = SchoolYear.objects.filter(is_current=True).values_list("start_date", flat=True).first()
    start = year or (today or timezone.localdate())
    return datetime.date(start.year, 8, 31)


def age_on(birth, on):
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


class PopulationImport:
    """`villages`: the villages the uploader may list (by name and by code); `default_village` fills a blank
    村/社区 cell (and is required when the file has no such column)."""

    def __init__(self, *, area, villages, path, default_village=None, actor=None, reason="", engine=None,
                 today=None, progress=None):
        self.area = area
        self.progress = progress  # job layer: progress(done, total) after each chunk (may raise JobCancelled)
        self.villages = {}
        for village in villages:
            self.villages[village.name] = village
            self.villages[village.code] = village
        self.default_village = default_village
        self.path = path
        self.actor = actor
        self.reason = reason or "学籍比对名单导入"
        self.engine = engine
        self.today = today or timezone.localdate()
        self.reference = reference_date(self.today)
        self.report = Report()

    def run(self, *, commit=False, valid_only=False, population_list=None):
        report = self.report
        self.population_list = population_list
        self.reader = SheetReader(self.path, POPULATION_MAP, required=("姓名",), anchors=("姓名",), min_known=3)
        try:
            self.reader.open()
            if "出生日期" not in self.reader.columns and "身份证件号" not in self.reader.columns:
                raise FileFormatError("缺少“出生日期”或“身份证件号”列：无法判断是否适龄。")
            if "村/社区" not in self.reader.columns and self.default_village is None:
                raise FileFormatError("名单没有“村/社区”列：请在上传时选择村/社区，或在名单中增加该列。")
            report.header_row = self.reader.header_row
            report.unknown_columns = [c for c in self.reader.unknown_columns if c not in ("序号", "编号")]
            report.engine = self.reader.engine
            self.stamp = bulk.Stamp(user_id=getattr(self.actor, "pk", None), reason=self.reason)
            self.seen = {}
            if commit:
                with transaction.atomic():
                    self._process(commit=True, valid_only=valid_only)
                    if report.invalid and not valid_only:
                        transaction.set_rollback(True)
                        report.details["rolled_back"] = True
                    else:
                        report.committed = True
            else:
                self._process(commit=False, valid_only=valid_only)
        finally:
            self.reader.close()
        report.rows_written = self.stamp.rows_written if report.committed else 0
        return report.finish()

    def _process(self, *, commit, valid_only):
        chunk = []
        for number, cells in self.reader.rows():
            chunk.append(self._parse(number, cells))
            if len(chunk) >= CHUNK:
                self._chunk(chunk, commit=commit, valid_only=valid_only)
                chunk = []
                if self.progress is not None:
                    self.progress(self.report.total_rows, self.reader.estimated_rows)
        if chunk:
            self._chunk(chunk, commit=commit, valid_only=valid_only)
        if self.progress is not None:
            self.progress(self.report.total_rows, self.reader.estimated_rows)

    # ------------------------------------------------------------------ one row
    def _parse(self, number, cells):
        data = {name: cells[i] for name, i in self.reader.columns.items()}
        values, errors = {}, []
        for column, (attr, widget) in CELL_WIDGETS.items():
            if column not in data:
                continue
            try:
                values[attr] = widget.clean(data[column])
            except ValueError as exc:
                errors.append((column, data[column], str(exc)))
        number_text = values.get("id_number")
        if number_text and not any(c == "身份证件号" for c, _, _ in errors):
            try:
                info = idnumbers.parse(number_text)
            except idnumbers.IdNumberError as exc:
                errors.append(("身份证件号", number_text, f"无效：{exc}"))
            else:
                values["id_number"] = info.number
                for message in idnumbers.mismatches(info, values.get("gender"), values.get("birth_date")):
                    self.report.warning(number, "身份证件号", message + "（按名单内容登记，请核对）")
                values["gender"] = values.get("gender") or info.gender
                values["birth_date"] = values.get("birth_date") or info.birth_date
        if not values.get("birth_date") and not any(c in ("出生日期", "身份证件号") for c, _, _ in errors):
            errors.append(("出生日期", "", "不能为空（或填写有效的身份证号自动带出）"))
        if not values.get("gender") and not any(c in ("性别", "身份证件号") for c, _, _ in errors):
            errors.append(("性别", "", "不能为空（或填写有效的身份证号自动带出）"))
        birth = values.get("birth_date")
        if birth:
            age = age_on(birth, self.reference)
            if birth > self.today:
                errors.append(("出生日期", data.get("出生日期"), "晚于今天"))
            elif not AGE_MIN <= age <= AGE_MAX:
                errors.append(("出生日期", birth.isoformat(),
                               f"按 {self.reference:%Y-%m-%d} 计算为 {age} 周岁，不在义务教育适龄范围（6–15 周岁）"))
        village = self._village(data, errors)
        key = None
        if not errors:
            key = (village.pk, values.get("id_number") or (values["name"], values["birth_date"]))
            if key in self.seen:
                errors.append(("身份证件号" if values.get("id_number") else "姓名", values.get("id_number") or values["name"],
                               f"与第 {self.seen[key]} 行是同一名儿童（同一村/社区只能出现一次）"))
            else:
                self.seen[key] = number
        values.setdefault("id_number", None)
        return {"number": number, "values": values, "village": village, "errors": errors, "key": key}

    def _village(self, data, errors):
        text = w.cell_text(data.get("村/社区"))
        if not text:
            if self.default_village is None:
                errors.append(("村/社区", "", "不能为空"))
            return self.default_village
        text = w.half_width(text).replace(" ", "")
        village = self.villages.get(text)
        if village is None:
            errors.append(("村/社区", text, "不在您可以导入的村/社区范围内（请核对名称或代码）"))
        elif self.default_village is not None and village.pk != self.default_village.pk:
            errors.append(("村/社区", text, f"与所选的“{self.default_village.name}”不一致"))
        return village

    # ------------------------------------------------------------------ a chunk
    def _chunk(self, chunk, *, commit, valid_only):
        valid = [r for r in chunk if not r["errors"]]
        existing = self._existing(valid)
        matches = self._matches(valid)
        report = self.report
        for row in chunk:
            report.total_rows += 1
            if row["errors"]:
                report.invalid += 1
                for column, value, message in row["errors"]:
                    report.error(row["number"], column, value, message)
                continue
            row["match"] = matches[row["number"]]
            old = existing.get(row["key"])
            row["old"] = old
            if old is None:
                report.new += 1
                row["outcome"] = "new"
            else:
                target = self._target(row, old)
                changed = any(target[k] != old[k] for k in target if k in old and k not in ("updated",))
                row["outcome"] = "updated" if changed else "unchanged"
                setattr(report, row["outcome"], getattr(report, row["outcome"]) + 1)
            self._count_match(row)
        if commit and (valid_only or not report.invalid):
            self._write([r for r in chunk if not r["errors"]])

    def _count_match(self, row):
        kind = row["match"]["candidate_kind"]
        self.report.bump("candidates" if kind else "matched")
        if kind:
            self.report.bump(f"candidates_{kind}")

    def _existing(self, rows):
        by_key = {}
        if not rows:
            return by_key
        villages = {r["village"].pk for r in rows}
        ids = [r["values"]["id_number"] for r in rows if r["values"]["id_number"]]
        names = [r["values"]["name"] for r in rows if not r["values"]["id_number"]]
        query = Q(id_number__in=ids) if ids else Q(pk__in=[])
        if names:
            query |= Q(id_number__isnull=True, name__in=names)
        fields = [f.attname for f in Entry._meta.concrete_fields]
        for old in Entry.objects.filter(query, village_id__in=villages).values(*fields):
            key = (old["village_id"], old["id_number"] or (old["name"], old["birth_date"]))
            by_key[key] = old
        return by_key

    def _matches(self, rows):
        """Match result per row number: {match, matched_student_id, matched_school_name, candidate_kind}."""
        ids = {r["values"]["id_number"] for r in rows if r["values"]["id_number"]}
        by_id = {}
        if ids:
            for s in Student.objects.filter(id_number__in=ids).values("pk", "id_number", "status", "school__name"):
                by_id[s["id_number"]] = s
        pending = [r for r in rows if r["values"]["id_number"] not in by_id]
        by_name = {}
        if pending:
            names = {r["values"]["name"] for r in pending}
            births = {r["values"]["birth_date"] for r in pending}
            for s in (Student.objects.filter(name__in=names, birth_date__in=births, school__area=self.area,
                                             status__in=Student.ON_ROLL_STATUSES)
                      .values("pk", "name", "birth_date", "status", "school__name")):
                by_name.setdefault((s["name"], s["birth_date"]), []).append(s)
        result = {}
        for row in rows:
            v = row["values"]
            found = by_id.get(v["id_number"]) if v["id_number"] else None
            if found is not None:
                if found["status"] in Student.ON_ROLL_STATUSES:
                    result[row["number"]] = _match(Entry.Match.BY_ID, found)
                else:
                    kind = (Entry.Kind.NOT_ENROLLED if found["status"] == Student.Status.NOT_ENROLLED
                            else Entry.Kind.DROPOUT)
                    result[row["number"]] = _match(Entry.Match.OFF_ROLL, found, kind)
                continue
            same = by_name.get((v["name"], v["birth_date"]), [])
            if len(same) == 1:
                result[row["number"]] = _match(Entry.Match.BY_NAME, same[0])
            elif len(same) > 1:
                result[row["number"]] = _match(Entry.Match.AMBIGUOUS, None, Entry.Kind.NOT_ENROLLED)
            else:
                result[row["number"]] = _match(Entry.Match.NONE, None, Entry.Kind.NOT_ENROLLED)
        return result

    def _target(self, row, old):
        """The entry as it will be after this list: file values, match result, and the verification kept."""
        v, m = row["values"], row["match"]
        target = {k: v.get(k) if v.get(k) is not None else "" for k in COMPARE}
        target["id_number"] = v.get("id_number")
        target.update(match=m["match"], matched_student_id=m["matched_student_id"],
                      matched_school_name=m["matched_school_name"], candidate_kind=m["candidate_kind"],
                      village_id=row["village"].pk)
        if not m["candidate_kind"]:
            target["status"] = Entry.Status.ENROLLED
        elif old is None or old["status"] == Entry.Status.ENROLLED:
            target["status"] = Entry.Status.PENDING
        else:
            target["status"] = old["status"]  # what the village/教育办 verified stays
        return target

    def _write(self, rows):
        new, updates = [], []
        list_id = self.population_list.pk if self.population_list is not None else None
        for row in rows:
            target = self._target(row, row["old"])
            target.update(row_number=row["number"], population_list_id=list_id)
            if row["old"] is None:
                new.append(target)
            else:
                updates.append(dict(row["old"], **target))
        bulk.insert(Entry, new, self.stamp)
        bulk.update(Entry, updates, ["name", "gender", "birth_date", "id_number", "guardian_name", "guardian_phone",
                                     "address", "note", "match", "matched_student_id", "matched_school_name",
                                     "candidate_kind", "status", "row_number", "population_list_id"], self.stamp)


def _match(kind, student, candidate_kind=""):
    return {"match": kind, "matched_student_id": student["pk"] if student else None,
            "matched_school_name": (student.get("school__name") or "") if student else "",
            "candidate_kind": candidate_kind}

