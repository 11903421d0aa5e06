"""Identity checks shared by forms, services and imports (SPEC §3, §10): ID numbers, 学籍号, phone numbers.

Errors are ValidationError({field: Chinese reason}); disagreements between the ID number and the entered sex /
birth date are *warnings* the user must confirm — never a silent overwrite.
"""
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from students import idnumbers
from students.models import Student

RESIDENT = Student.IdType.RESIDENT
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")


@dataclass
class StudentIdentity:
    id_number: str | None
    student_number: str | None
    gender: str
    birth_date: object
    warnings: list = field(default_factory=list)
    notes: list = field(default_factory=list)


def check_student_identity(*, id_type, id_number, student_number, gender=None, birth_date=None):
    """Validate and normalise a student's identity fields. Blank sex / birth date are filled from a valid ID
    number (filling a blank is not an overwrite); different ones produce warnings."""
    errors, warnings, notes = {}, [], []
    number = idnumbers.normalize(id_number) or None
    info = None
    if number and id_type == RESIDENT:
        if len(number) == 15:
            errors["id_number"] = ("学生的居民身份证号应为 18 位：15 位旧号码只发给 1999 年以前办证的成年人，"
                                   "请核对学生户口簿上的号码。")
        else:
            try:
                info = idnumbers.parse(number)
                number = info.number
            except idnumbers.IdNumberError as exc:
                errors["id_number"] = f"身份证件号无效：{exc}。"
    elif number and len(number) > 30:
        errors["id_number"] = "身份证件号过长（最多 30 个字符）。"
    if info is not None:
        if not gender:
            gender = info.gender
            notes.append(f"性别已按身份证号填为{idnumbers.GENDER_LABELS[info.gender]}。")
        if not birth_date:
            birth_date = info.birth_date
            notes.append(f"出生日期已按身份证号填为 {info.birth_date:%Y-%m-%d}。")
        warnings.extend(idnumbers.mismatches(info, gender, birth_date))
    sn = idnumbers.normalize(student_number) or None
    if sn:
        try:
            sn = idnumbers.parse_student_number(sn)
        except idnumbers.IdNumberError as exc:
            errors["student_number"] = f"学籍号无效：{exc}。"
        else:
            if sn.startswith("G") and number and id_type == RESIDENT and "id_number" not in errors and sn[1:] != number:
                warnings.append(f"学籍号 {sn} 中的身份证号与填写的身份证件号 {number} 不一致")
    if not gender and "id_number" not in errors:
        errors["gender"] = "请选择性别（或填写有效的身份证号自动带出）。"
    if not birth_date and "id_number" not in errors:
        errors["birth_date"] = "请填写出生日期（或填写有效的身份证号自动带出）。"
    if errors:
        raise ValidationError(errors)
    return StudentIdentity(id_number=number, student_number=sn, gender=gender, birth_date=birth_date,
                           warnings=warnings, notes=notes)


def check_guardian_id(*, id_type, id_number):
    """Normalise a family member's ID number. A 15-digit number is converted (19 inserted before the year, check
    digit added) and a note says so; an invalid one is rejected with the reason. Returns (number, notes)."""
    number = idnumbers.normalize(id_number)
    if not number:
        return "", []
    if id_type != RESIDENT:
        if len(number) > 30:
            raise ValidationError({"id_number": "身份证件号过长（最多 30 个字符）。"})
        return number, []
    try:
        info = idnumbers.parse(number)
    except idnumbers.IdNumberError as exc:
        raise ValidationError({"id_number": f"身份证件号无效：{exc}。"}) from None
    notes = []
    if info.upgraded_from:
        notes.append(f"15 位旧身份证号 {info.upgraded_from} 已转换为 18 位：{info.number}。")
    return info.number, notes


def normalize_phone(raw, *, field_name="phone"):
    """Mobile (11 digits, 1[3-9]…) or landline with area code; spaces and dashes in mobiles are removed."""
    value = idnumbers.normalize(raw).replace("－", "-").replace("—", "-")
    if not value:
        return ""
    compact = value.replace("-", "")
    if compact.startswith("+86"):
        compact = compact[3:]
    if MOBILE_RE.match(compact):
        return compact
    if LANDLINE_RE.match(value):
        return value
    raise ValidationError({field_name: f"联系电话“{raw}”格式不正确：手机号为 11 位数字，座机请带区号（如 0376-6123456）。"})


def check_unique_identity(*, id_number, student_number, exclude_pk=None):
    """ID number and 学籍号 are unique across the district. The message names the school so the two schools can
    sort it out, but never the other child's name (it may be outside the user's scope)."""
    errors = {}
    qs = Student.objects.exclude(pk=exclude_pk) if exclude_pk else Student.objects.all()
    if id_number:
        other = qs.filter(id_number=id_number).select_related("school").first()
        if other:
            errors["id_number"] = (f"该身份证件号已登记在本区另一名学生名下（{other.school or '未分配学校'}，"
                                   f"{other.get_status_display()}）。如是转学，请办理转入。")
    if student_number:
        other = qs.filter(student_number=student_number).select_related("school").first()
        if other:
            errors["student_number"] = f"该学籍号已登记在本区另一名学生名下（{other.school or '未分配学校'}）。"
    if errors:
        raise ValidationError(errors)
