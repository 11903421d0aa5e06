"""学校名录 and 村（社区）名录 import (go-live set-up), on the 学籍 import's machinery: SheetReader (header under
title rows, columns by name), widgets, Report (per-row Chinese errors), preview → commit all rows or only the valid
ones. Rows are matched by 学校标识码 / 村代码: a re-import updates, never duplicates. A 办事处 named in the file that
does not exist yet is created on commit (listed in the preview).
"""
import re

from django.db import transaction

from kongchuo.models import School, SubDistrict, Village
from students.importing import widgets as w
from students.importing.columns import ColumnMap
from students.importing.reader import SheetReader
from students.importing.report import Report

SCHOOL_MAP = ColumnMap(["学校标识码", "学校名称", "学段", "所属办事处", "地址", "电话", "简称"], {
    "标识码": "学校标识码", "学校代码": "学校标识码", "名称": "学校名称", "学校": "学校名称", "办学类型": "学段",
    "学校类型": "学段", "办事处": "所属办事处", "所在办事处": "所属办事处", "学校地址": "地址", "联系电话": "电话",
    "学校简称": "简称"})
VILLAGE_MAP = ColumnMap(["代码", "名称", "办事处", "类型"], {
    "村代码": "代码", "社区代码": "代码", "村(社区)代码": "代码", "区划代码": "代码", "统计用区划代码": "代码",
    "村名": "名称", "村(社区)": "名称", "村(社区)名称": "名称", "村/社区": "名称", "所属办事处": "办事处",
    "所在办事处": "办事处", "街道/乡镇": "办事处", "乡镇(街道)": "办事处", "城乡分类": "类型"})
CLASS_MAP = ColumnMap(["学校", "班级"], {"学校名称": "学校", "学校标识码": "学校", "班级名称": "班级", "班名": "班级"})
KINDS = {"小学": School.Kind.PRIMARY, "初中": School.Kind.JUNIOR, "初级中学": School.Kind.JUNIOR,
         "九年一贯制": School.Kind.NINE_YEAR, "九年一贯制学校": School.Kind.NINE_YEAR}
VILLAGE_KINDS = {"村": Village.Kind.VILLAGE, "村委会": Village.Kind.VILLAGE, "社区": Village.Kind.COMMUNITY,
                 "居委会": Village.Kind.COMMUNITY}
CODE = re.compile(r"^\d{10}$")
VILLAGE_CODE = re.compile(r"^\d{6,20}$")


class OrgImport:
    def __init__(self, *, kind, area, path, engine=None):
        self.kind, self.area, self.path, self.engine = kind, area, path, engine
        self.report = Report()
        self.subdistricts = {}
        for sd in SubDistrict.objects.filter(area=area):
            self.subdistricts[sd.name] = self.subdistricts[sd.code] = sd
        self.new_subdistricts = []

    def run(self, *, commit=False, valid_only=False):
        if self.kind == "classes":
            return self._run_classes(commit=commit, valid_only=valid_only)
        report = self.report
        schools = self.kind == "schools"
        reader = SheetReader(self.path, SCHOOL_MAP if schools else VILLAGE_MAP,
                             required=("学校标识码", "学校名称", "学段") if schools else ("代码", "名称", "办事处"),
                             anchors=("学校标识码",) if schools else ("名称",), min_known=2, engine=self.engine)
        rows, seen = [], {}
        try:
            reader.open()
            report.header_row, report.engine = reader.header_row, reader.engine
            report.unknown_columns = [c for c in reader.unknown_columns if c not in ("序号", "编号", "备注")]
            for number, cells in reader.rows():
                data = {n: w.cell_text(cells[i]) for n, i in reader.columns.items()}
                row = self._school(number, data) if schools else self._village(number, data)
                if not row["errors"]:
                    if row["code"] in seen:
                        row["errors"].append(("学校标识码" if schools else "代码", row["code"],
                                              f"与第 {seen[row['code']]} 行重复"))
                    seen.setdefault(row["code"], number)
                rows.append(row)
        finally:
            reader.close()
        model = School if schools else Village
        existing = {o.code: o for o in model.objects.filter(code__in=[r["code"] for r in rows if r["code"]])}
        for row in rows:
            report.total_rows += 1
            old = existing.get(row["code"])
            if not row["errors"] and old is not None and schools and old.area_id != self.area.pk:
                row["errors"].append(("学校标识码", row["code"], f"已登记为其他管理区的学校（{old.name}）"))
            if not row["errors"] and old is not None and not schools and old.subdistrict.area_id != self.area.pk:
                row["errors"].append(("代码", row["code"], f"已登记为其他管理区的村（社区）（{old.name}）"))
            if row["errors"]:
                report.invalid += 1
                for column, value, message in row["errors"]:
                    report.error(row["number"], column, value, message)
                continue
            row["old"] = old
            if old is None:
                row["outcome"] = "new"
            else:
                changed = any(getattr(old, k) != v for k, v in row["values"].items() if k != "subdistrict") or (
                    row["subdistrict"] is not None and old.subdistrict_id != getattr(row["subdistrict"], "pk", -1))
                row["outcome"] = "updated" if changed else "unchanged"
            setattr(report, row["outcome"], getattr(report, row["outcome"]) + 1)
        if self.new_subdistricts:
            report.details["subdistricts_to_create"] = list(self.new_subdistricts)
        if commit:
            if report.invalid and not valid_only:
                report.details["rolled_back"] = True
            else:
                with transaction.atomic():
                    self._write([r for r in rows if not r["errors"]])
                report.committed = True
        return report.finish()

    def _subdistrict(self, text, column, errors, required):
        text = w.half_width(text).replace(" ", "")
        if not text:
            if required:
                errors.append((column, "", "不能为空"))
            return None
        sd = self.subdistricts.get(text)
        if sd is None:
            if text.isdigit():
                errors.append((column, text, "没有这个代码的办事处（新办事处请写名称）"))
                return None
            if text not in self.new_subdistricts:
                self.new_subdistricts.append(text)
            return text  # created on commit
        return sd

    def _school(self, number, data):
        errors = []
        code = w.half_width(data.get("学校标识码", "")).replace(" ", "")
        if not CODE.match(code):
            errors.append(("学校标识码", code, "应为 10 位数字"))
        name = data.get("学校名称", "")
        if not name:
            errors.append(("学校名称", "", "不能为空"))
        elif len(name) > 100:
            errors.append(("学校名称", name[:20], "不能超过 100 个字"))
        kind = KINDS.get(w.half_width(data.get("学段", "")).replace(" ", ""))
        if kind is None:
            errors.append(("学段", data.get("学段", ""), "应为 小学、初中 或 九年一贯制"))
        subdistrict = self._subdistrict(data.get("所属办事处", ""), "所属办事处", errors, required=False)
        values = {"name": name, "kind": kind, "address": data.get("地址", "")[:200], "phone": data.get("电话", "")[:30]}
        if data.get("简称"):
            values["short_name"] = data["简称"][:20]
        return {"number": number, "code": code, "values": values, "subdistrict": subdistrict, "errors": errors}

    def _village(self, number, data):
        errors = []
        code = w.half_width(data.get("代码", "")).replace(" ", "")
        if not VILLAGE_CODE.match(code):
            errors.append(("代码", code, "应为 6–20 位数字（统计用区划代码）"))
        name = data.get("名称", "")
        if not name:
            errors.append(("名称", "", "不能为空"))
        kind_text = w.half_width(data.get("类型", "")).replace(" ", "")
        kind = VILLAGE_KINDS.get(kind_text) if kind_text else (
            Village.Kind.COMMUNITY if name.endswith("社区") else Village.Kind.VILLAGE)
        if kind is None:
            errors.append(("类型", kind_text, "应为 村 或 社区"))
        subdistrict = self._subdistrict(data.get("办事处", ""), "办事处", errors, required=True)
        return {"number": number, "code": code, "values": {"name": name, "kind": kind}, "subdistrict": subdistrict,
                "errors": errors}

    def _write(self, rows):
        created = {}
        for name in self.new_subdistricts:
            if not any(r["subdistrict"] == name for r in rows):
                continue
            n = SubDistrict.objects.filter(area=self.area).count() + 1
            code = f"{self.area.code}{n:03d}"
            while SubDistrict.objects.filter(code=code).exists():
                n += 1
                code = f"{self.area.code}{n:03d}"
            created[name] = SubDistrict.objects.create(area=self.area, name=name, code=code)
            self.report.bump("subdistricts_created")
        for row in rows:
            sd = row["subdistrict"]
            if isinstance(sd, str):
                sd = created[sd]
            values = dict(row["values"])
            if sd is not None:
                values["subdistrict"] = sd
            if self.kind == "schools":
                obj = row["old"] or School(code=row["code"], area=self.area)
            else:
                obj = row["old"] or Village(code=row["code"])
            if row["outcome"] == "unchanged":
                continue
            for key, value in values.items():
                setattr(obj, key, value)
            obj._change_reason = "名录导入"
            obj.save()


    # ------------------------------------------------------------------ 年级与班级 of the current school year
    def _run_classes(self, *, commit, valid_only):
        """学校, 班级 (三年级(1)班 …) → the classes of the current school year; missing grades and classes are created
        (the 学籍 import's ClassResolver does the parsing and the creating)."""
        from kongchuo.models import SchoolYear
        from students.importing.classes import ClassError, ClassResolver

        report = self.report
        year = SchoolYear.objects.filter(is_current=True).first()
        if year is None:
            from students.importing.reader import FileFormatError

            raise FileFormatError("尚未设置当前学年：请先在系统管理中建立学年并设为当前学年。")
        schools = {}
        for s in School.objects.filter(area=self.area):
            schools[s.code] = schools[w.half_width(s.name).replace(" ", "")] = s
        resolvers, seen = {}, {}
        reader = SheetReader(self.path, CLASS_MAP, required=("学校", "班级"), anchors=("班级",), min_known=2,
                             engine=self.engine)
        try:
            reader.open()
            report.header_row, report.engine = reader.header_row, reader.engine
            report.unknown_columns = [c for c in reader.unknown_columns if c not in ("序号", "编号", "备注")]
            for number, cells in reader.rows():
                report.total_rows += 1
                data = {n: w.cell_text(cells[i]) for n, i in reader.columns.items()}
                school = schools.get(w.half_width(data.get("学校", "")).replace(" ", ""))
                if school is None:
                    report.invalid += 1
                    report.error(number, "学校", data.get("学校", ""), "不是本区的学校（请写学校全称或学校标识码）")
                    continue
                resolver = resolvers.get(school.pk) or resolvers.setdefault(school.pk, ClassResolver(school, year))
                try:
                    key = resolver.resolve(data.get("班级", ""))
                except ClassError as exc:
                    report.invalid += 1
                    report.error(number, "班级", data.get("班级", ""), str(exc))
                    continue
                if (school.pk, key) in seen:
                    report.invalid += 1
                    report.error(number, "班级", data.get("班级", ""), f"与第 {seen[(school.pk, key)]} 行重复")
                    continue
                seen[(school.pk, key)] = number
                if key in resolver.to_create:
                    report.new += 1
                else:
                    report.unchanged += 1
        finally:
            reader.close()
        if commit:
            if report.invalid and not valid_only:
                report.details["rolled_back"] = True
            else:
                with transaction.atomic():
                    created = sum(r.materialise() for r in resolvers.values())
                report.details["classes_created"] = created
                report.committed = True
        return report.finish()
