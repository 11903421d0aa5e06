"""教职工名单 import: 姓名, 手机号, 身份证号 (optional), 学校, 岗位, 角色 — reusing the 学籍 import's machinery
(students.importing: SheetReader finds the header under title rows and maps columns by name; widgets clean the
cells; Report collects per-row Chinese errors; the same preview → confirm, all-or-nothing or valid rows only).

角色 holds one or more roles separated by ；/ 换行 / 逗号, each with its scope in brackets when it needs one:
    科任教师；班主任（三年级1班）；校领导（三年级、四年级）；校长
    办事处工作人员（土城办事处）；村干部（胡洼村）；教育办工作人员；领导小组成员
A row is matched to an existing account by 手机号 or 身份证号 (never a second account for one person): the re-import
updates name, phone, ID number, school and post and grants the roles not held yet (roles are never ended by an
import — that is done on the account page). A new account gets a one-time password (shown once / on the slips).
"""
import re

from django.contrib.auth import get_user_model
from django.db import transaction

from kongchuo import access
from kongchuo.audit import mask_id, mask_phone
from kongchuo.models import Grade, Role, RoleAssignment, School, SchoolYear, SubDistrict, Village
from kongchuo.models.org import GRADE_NAMES
from staff.models import StaffProfile
from students import idnumbers
from students.importing import widgets as w
from students.importing.classes import ClassError, ClassResolver, parse_class
from students.importing.columns import ColumnMap
from students.importing.reader import FileFormatError, SheetReader
from students.importing.report import Report

User = get_user_model()
STAFF_COLUMNS = ["姓名", "手机号", "身份证号", "学校", "岗位", "角色"]
STAFF_ALIASES = {
    "手机": "手机号", "手机号码": "手机号", "联系电话": "手机号", "电话": "手机号", "移动电话": "手机号",
    "身份证件号": "身份证号", "身份证号码": "身份证号", "身份证件号码": "身份证号", "证件号码": "身份证号",
    "学校名称": "学校", "所在学校": "学校", "学校标识码": "学校", "单位": "学校", "工作单位": "学校",
    "职务": "岗位", "岗位/职务": "岗位", "职务/岗位": "岗位",
    "授予角色": "角色", "系统角色": "角色", "平台角色": "角色", "角色/范围": "角色",
}
STAFF_MAP = ColumnMap(STAFF_COLUMNS, STAFF_ALIASES)
MAX_PREVIEW_ROWS = 2000

ROLE_NAMES = {
    "科任教师": Role.TEACHER, "教师": Role.TEACHER, "任课教师": Role.TEACHER, "包保教师": Role.TEACHER,
    "班主任": Role.HEAD_TEACHER,
    "校领导": Role.GRADE_LEADER, "包年级校领导": Role.GRADE_LEADER, "年级校领导": Role.GRADE_LEADER,
    "校领导(包年级)": Role.GRADE_LEADER,
    "校长": Role.SCHOOL_ADMIN, "学校管理员": Role.SCHOOL_ADMIN, "校长/学校管理员": Role.SCHOOL_ADMIN,
    "教育办工作人员": Role.OFFICE_STAFF, "教育办": Role.OFFICE_STAFF,
    "办事处工作人员": Role.SUBDISTRICT_STAFF, "办事处": Role.SUBDISTRICT_STAFF,
    "村干部": Role.VILLAGE_CADRE, "社区干部": Role.VILLAGE_CADRE, "村/社区干部": Role.VILLAGE_CADRE,
    "村(社区)干部": Role.VILLAGE_CADRE,
    "领导小组成员": Role.LEADERSHIP, "领导小组": Role.LEADERSHIP,
    "系统管理员": Role.SYSADMIN,
}
ROLE_HINT = "可写：科任教师、班主任（班级）、校领导（年级）、校长、教育办工作人员、办事处工作人员（办事处）、村干部（村）、领导小组成员"
_ENTRY = re.compile(r"^([^()]+?)(?:\((.*)\))?$")
_GRADE = re.compile(r"^(?:(初[一二三])|(\d|[一二三四五六七八九]))年级?$")


def _split_top(text, separators):
    parts, depth, current = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(depth - 1, 0)
        if depth == 0 and ch in separators:
            if current:
                parts.append(current)
            current = ""
            continue
        current += ch
    if current:
        parts.append(current)
    return parts


def split_roles(text):
    """'班主任（三年级1班）；校领导：三年级、四年级；科任教师、校长' → ['班主任(三年级1班)', '校领导(三年级、四年级)',
    '科任教师', '校长']: separators inside brackets, or after a colon, do not split a scope."""
    text = w.half_width(text).replace(" ", "").replace("：", ":")
    result = []
    for part in _split_top(text, ";,\n"):
        if ":" in part and "(" not in part:
            name, _, scope = part.partition(":")
            result.append(f"{name}({scope})")
        else:
            result.extend(_split_top(part, "、"))
    return result


def parse_grade(text, school):
    text = w.half_width(text).replace(" ", "")
    m = _GRADE.match(text)
    if not m:
        try:
            level, _ = parse_class(text + "1班")
        except (ClassError, KeyError):
            raise ClassError(f"“{text}”不是年级（请写成“三年级”或“初一”）") from None
        return level
    junior, num = m.groups()
    level = {"初一": 7, "初二": 8, "初三": 9}[junior] if junior else (
        int(num) if num.isdigit() else "一二三四五六七八九".index(num) + 1)
    if school.kind == "junior" and level <= 3:
        level += 6
    return level


class StaffImport:
    """`area`: the area of the file; `school`: the school it is for (None = area-wide, the 学校 column decides).
    `actor` None = command line (no scope limits); otherwise every role of every row must be one the actor may
    grant (kongchuo.access.grant_scope_ok) and every matched account one they manage."""

    def __init__(self, *, area, path, school=None, actor=None, engine=None):
        self.area, self.school, self.path, self.actor, self.engine = area, school, path, actor, engine
        self.report = Report()
        self.credentials = []  # [{"user", "password", …}] of accounts created by a commit
        self.year = SchoolYear.objects.filter(is_current=True).first()
        self.schools = {}
        for s in School.objects.filter(area=area):
            self.schools[s.code] = s
            self.schools[w.half_width(s.name).replace(" ", "")] = s
            if s.short_name:
                self.schools.setdefault(s.short_name, s)
        self.subdistricts = {}
        for sd in SubDistrict.objects.filter(area=area):
            self.subdistricts[sd.code] = self.subdistricts[sd.name] = sd
        self.villages = {}
        for v in Village.objects.filter(subdistrict__area=area).select_related("subdistrict__area"):
            self.villages[v.code] = self.villages[v.name] = v
        self.resolvers = {}
        self.grades = {}

    # ------------------------------------------------------------------ run
    def run(self, *, commit=False, valid_only=False):
        report = self.report
        reader = SheetReader(self.path, STAFF_MAP, required=("姓名", "手机号"), anchors=("姓名",), min_known=3,
                             engine=self.engine)
        try:
            reader.open()
            if self.school is None and "学校" not in reader.columns and "角色" not in reader.columns:
                raise FileFormatError("名单没有“学校”列：请选择学校后上传，或在名单中增加“学校”列。")
            report.header_row, report.engine = reader.header_row, reader.engine
            report.unknown_columns = [c for c in reader.unknown_columns if c not in ("序号", "编号", "备注")]
            rows = []
            self.seen_phone, self.seen_id, self.seen_class = {}, {}, {}
            for number, cells in reader.rows():
                rows.append(self._parse(number, {n: cells[i] for n, i in reader.columns.items()}))
        finally:
            reader.close()
        report.details["rows"] = []
        for row in rows:
            report.total_rows += 1
            if row["errors"]:
                report.invalid += 1
                for column, value, message in row["errors"]:
                    report.error(row["number"], column, value, message)
                continue
            setattr(report, row["outcome"], getattr(report, row["outcome"]) + 1)
            if len(report.details["rows"]) < MAX_PREVIEW_ROWS:
                report.details["rows"].append({
                    "row": row["number"], "name": row["name"], "phone": mask_phone(row["phone"]),
                    "id": mask_id(row["id_number"] or ""), "school": str(row["school"] or ""),
                    "outcome": row["outcome"], "roles": [label for _, _, label in row["new_roles"]],
                    "username": row["user"].username if row["user"] else ""})
        if commit:
            if report.invalid and not valid_only:
                report.details["rolled_back"] = True
            else:
                with transaction.atomic():
                    self._write([r for r in rows if not r["errors"]])
                report.committed = True
        return report.finish()

    # ------------------------------------------------------------------ one row
    def _parse(self, number, data):
        errors = []
        values = {}
        for column, attr, widget in (("姓名", "name", w.TextWidget(50, required=True, compact=True)),
                                     ("手机号", "phone", w.PhoneWidget()), ("身份证号", "id_number", w.IdNumberWidget()),
                                     ("岗位", "post", w.TextWidget(50))):
            try:
                values[attr] = widget.clean(data.get(column)) if column in data else ""
            except ValueError as exc:
                errors.append((column, data.get(column), str(exc)))
                values[attr] = ""
        phone = values["phone"] or ""
        if not phone and not any(c == "手机号" for c, _, _ in errors):
            errors.append(("手机号", "", "不能为空（用户名和找回密码都用手机号）"))
        elif phone and not re.match(r"^1[3-9]\d{9}$", phone):
            errors.append(("手机号", phone, "应为 11 位手机号（座机不能作为账号）"))
        id_number = values["id_number"] or None
        if id_number:
            try:
                id_number = idnumbers.parse(id_number).number
            except idnumbers.IdNumberError as exc:
                errors.append(("身份证号", mask_id(id_number), f"无效：{exc}"))
                id_number = None
        school = self._school(data, errors)
        new_roles = self._roles(w.cell_text(data.get("角色")), school, errors)
        row = {"number": number, "name": values["name"], "phone": phone, "id_number": id_number,
               "post": values["post"] or "", "school": school, "roles": new_roles, "errors": errors, "user": None,
               "new_roles": [], "outcome": "new"}
        if errors:
            return row
        for key, seen, label in ((phone, self.seen_phone, "手机号"), (id_number, self.seen_id, "身份证号")):
            if key and key in seen:
                errors.append((label, mask_phone(key) if label == "手机号" else mask_id(key),
                               f"与第 {seen[key]} 行是同一人（一人只能有一个账号，请把角色合并到一行）"))
            elif key:
                seen[key] = number
        if errors:
            return row
        self._match(row)
        return row

    def _school(self, data, errors):
        text = w.half_width(w.cell_text(data.get("学校"))).replace(" ", "")
        if not text:
            return self.school
        school = self.schools.get(text)
        if school is None:
            errors.append(("学校", text, "不是本区的学校（请写学校全称或学校标识码）"))
        elif self.school is not None and school.pk != self.school.pk:
            errors.append(("学校", text, f"与所选的“{self.school.name}”不一致"))
        return school

    def _resolver(self, school):
        if school.pk not in self.resolvers:
            self.resolvers[school.pk] = ClassResolver(school, self.year)
        return self.resolvers[school.pk]

    def _roles(self, text, school, errors):
        """[(role, scope object, label)] from the 角色 cell; problems go to `errors`."""
        result = []
        if not text:
            return result
        for entry in split_roles(text):
            m = _ENTRY.match(entry)
            name = m.group(1) if m else entry
            role = ROLE_NAMES.get(name)
            if role is None:
                errors.append(("角色", entry, f"无法识别的角色。{ROLE_HINT}"))
                continue
            if role == Role.SYSADMIN:
                errors.append(("角色", entry, "系统管理员账号不能通过名单导入（由系统管理员在系统管理中设置）"))
                continue
            items = [i for i in re.split(r"[、,，/]", (m.group(2) or "") if m else "") if i]
            for scope_obj in self._scopes(role, items, school, entry, errors):
                label = f"{role.label}（{scope_obj}）"
                if self.actor is not None and not access.grant_scope_ok(self.actor, role, scope_obj):
                    errors.append(("角色", entry, f"您不能授予“{label}”：超出您的管理范围"))
                    continue
                result.append((role, scope_obj, label))
        return result

    def _scopes(self, role, items, school, entry, errors):
        if role in (Role.TEACHER, Role.SCHOOL_ADMIN, Role.HEAD_TEACHER, Role.GRADE_LEADER) and school is None:
            errors.append(("学校", "", f"“{entry}”是学校的角色：请填写学校"))
            return []
        if role in (Role.TEACHER, Role.SCHOOL_ADMIN):
            return [school]
        if role in (Role.OFFICE_STAFF, Role.LEADERSHIP):
            return [self.area]
        if not items:
            errors.append(("角色", entry, {Role.HEAD_TEACHER: "请在括号中写明班级，例如“班主任（三年级1班）”",
                                          Role.GRADE_LEADER: "请在括号中写明年级，例如“校领导（三年级、四年级）”",
                                          Role.SUBDISTRICT_STAFF: "请在括号中写明办事处",
                                          Role.VILLAGE_CADRE: "请在括号中写明村（社区）"}[role]))
            return []
        found = []
        for item in items:
            if role == Role.HEAD_TEACHER:
                obj = self._class(item, school, entry, errors)
            elif role == Role.GRADE_LEADER:
                obj = self._grade(item, school, entry, errors)
            elif role == Role.SUBDISTRICT_STAFF:
                obj = self.subdistricts.get(item)
                if obj is None:
                    errors.append(("角色", entry, f"“{item}”不是本区的办事处"))
            else:
                obj = self.villages.get(item)
                if obj is None:
                    errors.append(("角色", entry, f"“{item}”不是本区的村（社区）"))
            if obj is not None:
                found.append(obj)
        return found

    def _class(self, item, school, entry, errors):
        if self.year is None:
            errors.append(("角色", entry, "尚未设置当前学年，不能指定班主任"))
            return None
        resolver = self._resolver(school)
        try:
            key = resolver.resolve(item)
        except ClassError as exc:
            errors.append(("角色", entry, str(exc)))
            return None
        resolver.to_create.pop(key, None)
        school_class = resolver.classes.get(key)
        if school_class is None:
            errors.append(("角色", entry, f"{school.name}当前学年没有{GRADE_NAMES[key[0]]}({key[1]})班"
                                          "（请先导入学籍或建立班级）"))
            return None
        if school_class.pk in self.seen_class:
            errors.append(("角色", entry, f"{school_class}的班主任已在第 {self.seen_class[school_class.pk]} 行指定"))
            return None
        self.seen_class[school_class.pk] = entry
        return school_class

    def _grade(self, item, school, entry, errors):
        if self.year is None:
            errors.append(("角色", entry, "尚未设置当前学年，不能指定包年级校领导"))
            return None
        try:
            level = parse_grade(item, school)
        except ClassError as exc:
            errors.append(("角色", entry, str(exc)))
            return None
        key = (school.pk, level)
        if key not in self.grades:
            self.grades[key] = Grade.objects.filter(school=school, school_year=self.year, level=level).first()
        if self.grades[key] is None:
            errors.append(("角色", entry, f"{school.name}当前学年没有{GRADE_NAMES.get(level, item)}"))
        return self.grades[key]

    # ------------------------------------------------------------------ matching an existing account
    def _match(self, row):
        errors = row["errors"]
        by_phone = User.objects.filter(phone=row["phone"]).order_by("-is_active", "pk").first()
        profile = StaffProfile.objects.filter(id_number=row["id_number"]).select_related("user").first() \
            if row["id_number"] else None
        by_id = profile.user if profile else None
        if by_phone and by_id and by_phone.pk != by_id.pk:
            errors.append(("手机号", mask_phone(row["phone"]),
                           f"手机号属于账号 {by_phone.username}，身份证号却属于账号 {by_id.username}：请核对"))
            return
        user = by_phone or by_id
        if user is None:
            if not row["roles"]:
                errors.append(("角色", "", f"新账号至少要有一个角色。{ROLE_HINT}"))
                return
            taken = User.objects.filter(username=row["phone"]).first()
            from staff.services import username_mode

            if username_mode() == "phone" and taken is not None:
                errors.append(("手机号", mask_phone(row["phone"]), f"用户名 {row['phone']} 已被其他账号使用"))
                return
            if self._class_taken(row["roles"], None, errors):
                return
            row["new_roles"] = row["roles"]
            return
        row["user"] = user
        if not user.is_active:
            errors.append(("手机号" if by_phone else "身份证号", mask_phone(row["phone"]),
                           f"账号 {user.username}（{user.display_name}）已停用：不会自动恢复，请联系管理员"))
            return
        profile = StaffProfile.objects.filter(user=user).select_related("school", "area").first()
        if self.actor is not None and not access.can_manage_account(
                self.actor, user, home_school=profile.school if profile else None,
                home_area=profile.area if profile else None):
            errors.append(("手机号", mask_phone(row["phone"]), f"账号 {user.username} 不在您的管理范围内"))
            return
        if row["id_number"] and profile and profile.id_number and profile.id_number != row["id_number"]:
            errors.append(("身份证号", mask_id(row["id_number"]), f"与账号 {user.username} 登记的身份证号不一致"))
            return
        held = set(RoleAssignment.objects.filter(user=user, is_active=True).values_list(
            "role", "school_id", "school_class_id", "grade_id", "subdistrict_id", "village_id", "area_id"))
        new_roles = []
        for role, scope_obj, label in row["roles"]:
            if _role_key(role, scope_obj) not in held:
                new_roles.append((role, scope_obj, label))
        if self._class_taken(new_roles, user, errors):
            return
        row["new_roles"] = new_roles
        changed = bool(new_roles) or user.real_name != row["name"] or user.phone != row["phone"] or (
            row["id_number"] and (profile is None or profile.id_number != row["id_number"])) or (
            row["post"] and (profile is None or profile.post != row["post"])) or (
            row["school"] is not None and (profile is None or profile.school_id != row["school"].pk))
        row["outcome"] = "updated" if changed else "unchanged"

    @staticmethod
    def _class_taken(roles, user, errors):
        """One 班主任 per class: a class already held by someone else is an error of this row."""
        for role, scope_obj, label in roles:
            if role != Role.HEAD_TEACHER:
                continue
            other = RoleAssignment.objects.filter(role=role, is_active=True, school_class=scope_obj,
                                                  user__is_active=True)
            if user is not None:
                other = other.exclude(user=user)
            other = other.select_related("user").first()
            if other is not None:
                errors.append(("角色", label, f"该班已有班主任 {other.user.display_name}（请先结束其班主任角色）"))
                return True
        return False

    # ------------------------------------------------------------------ commit
    def _write(self, rows):
        from staff import services

        for row in rows:
            if row["outcome"] == "new":
                # the head teacher check of a new account: nobody else holds the class (checked at write time)
                user, password = services.staff_create(
                    actor=self.actor, real_name=row["name"], phone=row["phone"], id_number=row["id_number"] or "",
                    school=row["school"], area=self.area, post=row["post"],
                    roles=[(role, obj) for role, obj, _ in row["new_roles"]])
                self.credentials.append({"user": user, "password": password, "school": row["school"],
                                         "roles": [label for _, _, label in row["new_roles"]]})
                self.report.bump("accounts_created")
            elif row["outcome"] == "updated":
                services.staff_update_from_import(
                    actor=self.actor, user=row["user"], real_name=row["name"], phone=row["phone"],
                    id_number=row["id_number"], school=row["school"], post=row["post"],
                    roles=[(role, obj) for role, obj, _ in row["new_roles"]])
            self.report.bump("roles_granted", len(row["new_roles"]))


def _role_key(role, scope_obj):
    from kongchuo.models.accounts import ROLE_SCOPE_FIELD

    field = ROLE_SCOPE_FIELD[Role(role)]
    values = {"school": None, "school_class": None, "grade": None, "subdistrict": None, "village": None, "area": None}
    values[field] = scope_obj.pk
    return (role, values["school"], values["school_class"], values["grade"], values["subdistrict"],
            values["village"], values["area"])
