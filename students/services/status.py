"""学籍异动 (SPEC §3, seed 四(二)2): one transition table, one service that checks it, the actor and the proof,
then appends the StatusChange row and moves student.status — in one transaction.

A student never leaves a roster without a recorded change; 转出 stays 待确认 (TRANSFER_PENDING) until the
receiving school is recorded (transfer_confirm, or the receiving school's own 转入 inside the district).
"""
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from kongchuo.models import School
from kongchuo.models.org import GRADE_NAMES
from students.models import Student, StatusChange, StatusChangeDocument, TransferConfirmation
from students.plausibility import grade_age_warning
from students.uploads import check_proof_files

from students.signals import student_status_changed

from .base import NeedsConfirmation, require, stamp
from .enrolment import enrolment_sync
from .identity import check_student_identity
from .registry import STUDENT_FIELDS, _clean_student, _reason

S = Student.Status
K = StatusChange.Kind


@dataclass(frozen=True)
class Transition:
    allowed_from: frozenset
    to: str
    proof_required: bool = False
    proof_hint: str = ""


TRANSITIONS = {
    K.TRANSFER_OUT: Transition(frozenset({S.ENROLLED, S.SUSPENDED}), S.TRANSFER_PENDING,
                               proof_hint="转学联系函、转出申请表（可在确认时补传接收证明）"),
    K.SUSPEND: Transition(frozenset({S.ENROLLED}), S.SUSPENDED, True, "医院诊断证明或其他休学证明"),
    K.RESUME: Transition(frozenset({S.SUSPENDED, S.DROPPED_OUT}), S.ENROLLED, proof_hint="复学申请（可选）"),
    K.DROP_OUT: Transition(frozenset({S.ENROLLED, S.SUSPENDED}), S.DROPPED_OUT, proof_hint="劝返记录等（可选）"),
    K.DEATH: Transition(frozenset({S.ENROLLED, S.SUSPENDED, S.TRANSFER_PENDING, S.DROPPED_OUT, S.NOT_ENROLLED}),
                        S.DECEASED, True, "死亡证明或户籍注销证明"),
    K.GRADUATE: Transition(frozenset({S.ENROLLED}), S.GRADUATED, proof_hint="毕业证书或毕业名册（可选）"),
    K.SKIP_GRADE: Transition(frozenset({S.ENROLLED}), S.ENROLLED, True, "跳级审批表"),
    K.TRANSFER_IN: Transition(frozenset({S.TRANSFERRED, S.TRANSFER_PENDING, S.NOT_ENROLLED, S.DROPPED_OUT}),
                              S.ENROLLED, proof_hint="转学联系函（可选）"),
}
# Kinds recorded on a student already in the user's scope (转入 goes through transfer_in: it may be new).
RECORDABLE = [K.TRANSFER_OUT, K.SUSPEND, K.RESUME, K.DROP_OUT, K.DEATH, K.GRADUATE, K.SKIP_GRADE]


def allowed_kinds(student):
    return [k for k in RECORDABLE if student.status in TRANSITIONS[k].allowed_from]


def _save_documents(change, documents, actor):
    for verified in documents:  # kongchuo.uploads.Verified: checked content, random stored name
        doc = StatusChangeDocument(status_change=change, original_name=verified.display_name[:200],
                                   content_type=verified.content_type, size=verified.size, uploaded_by=actor,
                                   uploaded_at=timezone.now())
        doc.file.save(verified.stored_name, verified.as_file(), save=False)
        stamp(doc, actor).save()


def _check_common(kind, date, reason, documents, errors):
    transition = TRANSITIONS[kind]
    if not date:
        errors["date"] = "请填写异动日期。"
    elif date > timezone.localdate():
        errors["date"] = "异动日期不能晚于今天。"
    if not (reason or "").strip():
        errors["reason"] = "请填写异动原因。"
    try:
        checked = check_proof_files(documents)
    except ValidationError as exc:
        errors["documents"] = exc.messages
        checked = []
    if transition.proof_required and not checked and "documents" not in errors:
        errors["documents"] = f"{K(kind).label}须上传证明材料：{transition.proof_hint}（PDF、JPG、PNG，每个不超过 10 MB）。"
    return checked


@transaction.atomic
def status_change_record(*, actor, student, kind, date, reason, documents=(), to_school=None,
                         other_school_name="", to_class=None, expected_return_date=None):
    """Record 转出 / 休学 / 复学 / 辍学 / 死亡 / 毕业 / 跳级 for a student and move their status."""
    require(actor, "student.status_change", student, "只有本校学校管理员可以办理学籍异动。")
    student = Student.objects.select_for_update(of=("self",)).select_related("grade", "school").get(pk=student.pk)
    if kind not in RECORDABLE:
        raise ValidationError({"kind": "请选择异动类别（转入请使用“办理转入”）。"})
    transition = TRANSITIONS[kind]
    if student.status not in transition.allowed_from:
        raise ValidationError({"kind": f"学生当前状态为“{student.get_status_display()}”，不能办理{K(kind).label}。"})
    errors = {}
    checked = _check_common(kind, date, reason, documents, errors)
    other_school_name = (other_school_name or "").strip()
    if kind == K.TRANSFER_OUT:
        if to_school is not None and to_school.pk == student.school_id:
            errors["to_school"] = "转入学校不能是本校。"
    else:
        to_school, other_school_name = None, ""
    if kind == K.SUSPEND:
        if not expected_return_date:
            errors["expected_return_date"] = "休学须填写预计复学日期。"
        elif date and expected_return_date <= date:
            errors["expected_return_date"] = "预计复学日期须晚于休学日期。"
    else:
        expected_return_date = None
    if kind in (K.RESUME, K.SKIP_GRADE):
        if to_class is None:
            errors["to_class"] = "请选择复学后就读的班级。" if kind == K.RESUME else "请选择跳级后的班级。"
        elif to_class.grade.school_id != student.school_id:
            errors["to_class"] = "只能选择本校的班级。"
        elif kind == K.SKIP_GRADE and student.grade_id and to_class.grade.level <= student.grade.level:
            errors["to_class"] = f"跳级后的年级须高于现在的{student.grade.get_level_display()}。"
        elif kind == K.SKIP_GRADE and student.grade_id and to_class.grade.school_year_id != student.grade.school_year_id:
            errors["to_class"] = "跳级只能跳到本学年的年级。"
    else:
        to_class = None
    if kind == K.GRADUATE and student.grade_id and student.school_id:
        top = max(student.school.grade_levels)
        if student.grade.level != top:
            errors["kind"] = (f"只有毕业年级（{GRADE_NAMES[top]}）的学生可以办理毕业，"
                              f"该生在{student.grade.get_level_display()}。")
    if errors:
        raise ValidationError(errors)
    change = StatusChange(student=student, kind=kind, date=date, reason=reason.strip(), status_before=student.status,
                          status_after=transition.to, from_school_id=student.school_id,
                          from_class_id=student.school_class_id, to_school=to_school,
                          other_school_name=other_school_name, to_class=to_class,
                          expected_return_date=expected_return_date, recorded_by=actor)
    stamp(change, actor).save()
    _save_documents(change, checked, actor)
    student.status = transition.to
    if to_class is not None:
        student.school_class, student.grade = to_class, to_class.grade
    stamp(student, actor).save()
    enrolment_sync(student=student, on=date, change=change, actor=actor)
    _announce(student, change, kind, change.status_before, change.status_after, actor)
    return change


def _announce(student, change, kind, before, after, actor):
    student_status_changed.send(sender=StatusChange, student=student, change=change, kind=kind,
                                status_before=before, status_after=after, actor=actor)


def pending_transfer(student):
    """The 转出 change still waiting for its receiving school, or None."""
    return (StatusChange.objects.filter(student=student, kind=K.TRANSFER_OUT, confirmation__isnull=True)
            .order_by("-date", "-pk").first())


@transaction.atomic
def transfer_confirm(*, actor, change, received_date, receiving_school=None, receiving_school_name="", note="",
                     documents=()):
    """The receiving school is known: 转出待确认 → 已转出; the enrolment at the old school ends."""
    require(actor, "student.status_change", change.student, "只有本校学校管理员可以确认转出。")
    student = Student.objects.select_for_update(of=("self",)).get(pk=change.student_id)
    errors = {}
    if change.kind != K.TRANSFER_OUT:
        raise ValidationError("只有转出记录需要确认。")
    if TransferConfirmation.objects.filter(status_change=change).exists():
        raise ValidationError("该转出已确认。")
    if student.status != S.TRANSFER_PENDING:
        raise ValidationError(f"学生当前状态为“{student.get_status_display()}”，无需确认转出。")
    receiving_school_name = (receiving_school_name or "").strip() or (receiving_school.name if receiving_school else "")
    if not receiving_school_name:
        errors["receiving_school_name"] = "请填写接收学校（本区学校可直接选择）。"
    if receiving_school is not None and receiving_school.pk == student.school_id:
        errors["receiving_school"] = "接收学校不能是本校。"
    if not received_date:
        errors["received_date"] = "请填写接收日期。"
    elif received_date > timezone.localdate():
        errors["received_date"] = "接收日期不能晚于今天。"
    elif received_date < change.date:
        errors["received_date"] = f"接收日期不能早于转出日期 {change.date:%Y-%m-%d}。"
    try:
        checked = check_proof_files(documents, label="接收证明")
    except ValidationError as exc:
        errors["documents"] = exc.messages
        checked = []
    if errors:
        raise ValidationError(errors)
    confirmation = TransferConfirmation(status_change=change, receiving_school=receiving_school,
                                        receiving_school_name=receiving_school_name[:100], received_date=received_date,
                                        note=(note or "").strip(), confirmed_by=actor)
    stamp(confirmation, actor).save()
    _save_documents(change, checked, actor)
    student.status = S.TRANSFERRED
    stamp(student, actor).save()
    enrolment_sync(student=student, on=received_date, change=change, actor=actor)
    _announce(student, change, "transfer_confirmed", S.TRANSFER_PENDING, S.TRANSFERRED, actor)
    return confirmation


@transaction.atomic
def transfer_in(*, actor, school_class, date, reason, from_school_name="", documents=(), confirm_mismatch=False,
                confirm_reason="", check_age=False, **fields):
    """转入 a student into `school_class`. Looked up by ID number (then 学籍号) across the district:
    - a 转出待确认 student of another district school moves here and that 转出 is confirmed automatically;
    - a student who left (已转出 / 辍学 / 未入学) is enrolled here;
    - a student still on another school's roll is refused (the old school must record its 转出 first);
    - nobody found: a new student record is created.
    """
    school = school_class.grade.school
    require(actor, "student.status_change", school, "只有本校学校管理员可以办理转入。")
    unknown = set(fields) - set(STUDENT_FIELDS)
    if unknown:
        raise TypeError(f"unknown student fields: {sorted(unknown)}")
    errors = {}
    checked = _check_common(K.TRANSFER_IN, date, reason, documents, errors)
    identity = check_student_identity(id_type=fields.get("id_type") or Student.IdType.RESIDENT,
                                      id_number=fields.get("id_number"),
                                      student_number=fields.get("student_number"),
                                      gender=fields.get("gender"), birth_date=fields.get("birth_date"))
    existing = None
    if identity.id_number:
        existing = Student.objects.select_for_update(of=("self",)).filter(id_number=identity.id_number).order_by("pk").first()
    if existing is None and identity.student_number:
        existing = Student.objects.select_for_update(of=("self",)).filter(student_number=identity.student_number).order_by("pk").first()
    if existing is not None:
        if existing.school_id == school.pk and existing.status in (S.ENROLLED, S.SUSPENDED):
            errors["id_number"] = "该学生已在本校学籍中，无需转入。"
        elif existing.status in (S.ENROLLED, S.SUSPENDED):
            errors["id_number"] = (f"该学生目前在{existing.school or '其他学校'}{existing.get_status_display()}，"
                                   "须由原学校先办理转出，再办理转入。")
        elif existing.status not in TRANSITIONS[K.TRANSFER_IN].allowed_from:
            errors["id_number"] = f"该学生学籍状态为“{existing.get_status_display()}”，不能办理转入。"
    if errors:
        raise ValidationError(errors)
    if existing is None:
        data, identity = _clean_student(fields, confirm_mismatch=confirm_mismatch, confirm_reason=confirm_reason,
                                        grade=school_class.grade if check_age else None)
        student = Student(**data, school=school, grade=school_class.grade, school_class=school_class,
                          status=S.NOT_ENROLLED)
        _reason(stamp(student, actor), confirm_reason).save()
        from_school = None
    else:
        age = grade_age_warning(identity.birth_date, school_class.grade.level, school_class.grade.school_year) \
            if check_age else None
        warnings = list(identity.warnings) + ([age] if age else [])
        if warnings and not confirm_mismatch:
            raise NeedsConfirmation(warnings, reason_required=bool(age))
        if age and not (confirm_reason or "").strip():
            raise NeedsConfirmation(warnings, reason_required=True, reason_missing=True)
        student = existing
        _reason(student, confirm_reason)
        from_school = School.objects.filter(pk=student.school_id).first() if student.school_id != school.pk else None
        moving = student.school_id != school.pk
        pending = pending_transfer(student) if student.status == S.TRANSFER_PENDING and moving else None
        if pending is not None:
            confirmation = TransferConfirmation(status_change=pending, receiving_school=school,
                                                receiving_school_name=school.name, received_date=max(date, pending.date),
                                                note="接收学校办理转入时自动确认", confirmed_by=actor)
            stamp(confirmation, actor).save()
            _announce(student, pending, "transfer_confirmed", S.TRANSFER_PENDING, S.TRANSFERRED, actor)
    change = StatusChange(student=student, kind=K.TRANSFER_IN, date=date, reason=reason.strip(),
                          status_before=student.status, status_after=S.ENROLLED, from_school=from_school,
                          from_class_id=student.school_class_id if from_school else None,
                          other_school_name=(from_school_name or "").strip()[:100] if from_school is None else "",
                          to_school=school, to_class=school_class, recorded_by=actor)
    stamp(change, actor).save()
    _save_documents(change, checked, actor)
    student.status = S.ENROLLED
    student.school, student.grade, student.school_class = school, school_class.grade, school_class
    stamp(student, actor).save()
    enrolment_sync(student=student, on=date, change=change, actor=actor)
    _announce(student, change, K.TRANSFER_IN, change.status_before, S.ENROLLED, actor)
    student.identity_notes = identity.notes
    return change
