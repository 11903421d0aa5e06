"""Students and their family members: create / update with history (SPEC §3)."""
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from kongchuo import text
from students.models import FamilyMember, Student
from students.plausibility import grade_age_warning

from .base import NeedsConfirmation, require, stamp
from .enrolment import enrolment_sync
from .identity import check_guardian_id, check_student_identity, check_unique_identity, normalize_phone

STUDENT_FIELDS = ("name", "former_name", "gender", "birth_date", "ethnicity", "id_type", "id_number",
                  "student_number", "hukou_address", "address", "village", "phone")


def _clean_student(data, *, confirm_mismatch, exclude_pk=None, grade=None, confirm_reason=""):
    """`grade`: check the age is plausible for it (students/plausibility.py) — the forms ask for it."""
    data = dict(data)
    data["name"] = text.clean(data.get("name") or "", text.NAME)
    if "former_name" in data:
        data["former_name"] = text.clean(data.get("former_name") or "", text.NAME)
    if not data["name"]:
        raise ValidationError({"name": "请填写学生姓名。"})
    identity = check_student_identity(id_type=data.get("id_type") or Student.IdType.RESIDENT,
                                      id_number=data.get("id_number"), student_number=data.get("student_number"),
                                      gender=data.get("gender"), birth_date=data.get("birth_date"))
    age = grade_age_warning(identity.birth_date, grade.level, grade.school_year) if grade is not None else None
    warnings = list(identity.warnings) + ([age] if age else [])
    if warnings and not confirm_mismatch:
        raise NeedsConfirmation(warnings, reason_required=bool(age))
    if age and not (confirm_reason or "").strip():
        raise NeedsConfirmation(warnings, reason_required=True, reason_missing=True)
    check_unique_identity(id_number=identity.id_number, student_number=identity.student_number, exclude_pk=exclude_pk)
    data.update(id_number=identity.id_number, student_number=identity.student_number, gender=identity.gender,
                birth_date=identity.birth_date)
    if data.get("birth_date") and data["birth_date"] > timezone.localdate():
        raise ValidationError({"birth_date": "出生日期不能晚于今天。"})
    if "phone" in data:
        data["phone"] = normalize_phone(data.get("phone"))
    return data, identity


def _reason(student, confirm_reason):
    """A confirmed implausible age keeps its reason in the history row (django-simple-history change reason)."""
    if (confirm_reason or "").strip():
        student._change_reason = "核对说明：" + text.clean(confirm_reason, text.LINE)[:90]
    return student


@transaction.atomic
def student_create(*, actor, school_class, confirm_mismatch=False, confirm_reason="", check_age=False, **fields):
    """新生登记 in a class (a student arriving from another school is a 转入: status.transfer_in)."""
    school = school_class.grade.school
    require(actor, "student.create", school, "只有本校学校管理员可以登记学生。")
    unknown = set(fields) - set(STUDENT_FIELDS)
    if unknown:
        raise TypeError(f"unknown student fields: {sorted(unknown)}")
    data, identity = _clean_student(fields, confirm_mismatch=confirm_mismatch, confirm_reason=confirm_reason,
                                    grade=school_class.grade if check_age else None)
    student = Student(**data, school=school, grade=school_class.grade, school_class=school_class,
                      status=Student.Status.ENROLLED)
    _reason(stamp(student, actor), confirm_reason).save()
    enrolment_sync(student=student, on=timezone.localdate(), actor=actor)
    student.identity_notes = identity.notes
    return student


@transaction.atomic
def student_update(*, actor, student, school_class=None, confirm_mismatch=False, confirm_reason="", check_age=False,
                   **fields):
    """Edit the profile. The class may change inside the same school (调班); leaving the school or changing the
    status needs a 学籍异动 (status_change_record), never an edit."""
    require(actor, "student.edit", student, "您没有权限修改该学生的信息。")
    unknown = set(fields) - set(STUDENT_FIELDS)
    if unknown:
        raise TypeError(f"unknown student fields: {sorted(unknown)}")
    student = Student.objects.select_for_update(of=("self",)).get(pk=student.pk)
    current = {name: getattr(student, name) for name in STUDENT_FIELDS}
    current.update(fields)
    grade = (school_class.grade if school_class is not None else student.grade) if check_age else None
    data, identity = _clean_student(current, confirm_mismatch=confirm_mismatch, exclude_pk=student.pk, grade=grade,
                                    confirm_reason=confirm_reason)
    if school_class is not None and school_class.pk != student.school_class_id:
        new_grade = school_class.grade
        if student.school_id and new_grade.school_id != student.school_id:
            raise ValidationError({"school_class": "更换学校须办理学籍异动（转出/转入），不能直接修改班级。"})
        if student.grade_id and (new_grade.school_year_id != student.grade.school_year_id
                                 or new_grade.level != student.grade.level):
            raise ValidationError({"school_class": "调班只能调到本学年同一年级的其他班；跨年级请办理跳级。"})
        student.school_class, student.grade, student.school = school_class, new_grade, new_grade.school
    for name, value in data.items():
        setattr(student, name, value)
    _reason(stamp(student, actor), confirm_reason).save()
    enrolment_sync(student=student, on=timezone.localdate(), actor=actor)
    student.identity_notes = identity.notes
    return student


# ------------------------------------------------------------------ family members
FAMILY_FIELDS = ("name", "relation", "phone", "id_type", "id_number", "is_guardian", "works_away",
                 "works_away_place", "is_disabled", "address", "employer")


def _clean_member(data):
    data = dict(data)
    data["name"] = (data.get("name") or "").strip()
    data["relation"] = (data.get("relation") or "").strip()
    errors = {}
    if not data["name"]:
        errors["name"] = "请填写家庭成员姓名。"
    if not data["relation"]:
        errors["relation"] = "请填写与学生的关系（如 父亲、母亲、祖父）。"
    if data.get("works_away") and not (data.get("works_away_place") or "").strip():
        errors["works_away_place"] = "外出务工请填写务工地（如 浙江省杭州市）。"
    if not data.get("works_away"):
        data["works_away_place"] = ""
    try:
        data["phone"] = normalize_phone(data.get("phone"))
    except ValidationError as exc:
        errors.update(exc.message_dict)
    notes = []
    try:
        data["id_number"], notes = check_guardian_id(id_type=data.get("id_type") or Student.IdType.RESIDENT,
                                                     id_number=data.get("id_number"))
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return data, notes


@transaction.atomic
def family_member_add(*, actor, student, **fields):
    require(actor, "student.edit", student, "您没有权限修改该学生的家庭成员。")
    unknown = set(fields) - set(FAMILY_FIELDS)
    if unknown:
        raise TypeError(f"unknown family member fields: {sorted(unknown)}")
    data, notes = _clean_member(fields)
    member = FamilyMember(student=student, **data)
    stamp(member, actor).save()
    member.identity_notes = notes
    return member


@transaction.atomic
def family_member_update(*, actor, member, **fields):
    require(actor, "student.edit", member.student, "您没有权限修改该学生的家庭成员。")
    unknown = set(fields) - set(FAMILY_FIELDS)
    if unknown:
        raise TypeError(f"unknown family member fields: {sorted(unknown)}")
    current = {name: getattr(member, name) for name in FAMILY_FIELDS}
    current.update(fields)
    data, notes = _clean_member(current)
    for name, value in data.items():
        setattr(member, name, value)
    stamp(member, actor).save()
    member.identity_notes = notes
    return member


@transaction.atomic
def family_member_remove(*, actor, member):
    """Remove a wrongly entered family member; the history table keeps the row (simple-history '-' record)."""
    require(actor, "student.edit", member.student, "您没有权限修改该学生的家庭成员。")
    stamp(member, actor).delete()
