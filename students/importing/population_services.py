"""Writes of 学籍比对: upload/preview/commit/cancel a population list, and verify (核实) a candidate.

Confirming a candidate as 适龄未入学 or 确认失学 records the child as a Student (status not_enrolled / dropped_out,
no school) — or uses the off-roll record the match found — and emits students.signals.population_candidate_confirmed
so the cases app can open a case. 已在外地就读 needs a proof note and creates nothing.
"""
import hashlib
import os

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from kongchuo import access, uploads
from kongchuo.audit import log_access
from kongchuo.models import AccessLog, Village
from students.models import FamilyMember, PopulationEntry, PopulationList, Student
from students.signals import population_candidate_confirmed

from .population import PopulationImport
from .reader import FileFormatError, SpreadsheetRefused
from .services import _digest, _stored_path, check_upload, discard_file, expire_stale

Entry = PopulationEntry
DECISIONS = {
    Entry.Status.ELSEWHERE: None,
    Entry.Status.NOT_ENROLLED: Student.Status.NOT_ENROLLED,
    Entry.Status.DROPPED_OUT: Student.Status.DROPPED_OUT,
}


def importable_villages(user):
    """Villages the user may upload a population list for (scope from kongchuo.access)."""
    if not access.can(user, "population.import"):
        return Village.objects.none()
    roles = access.ACTIONS["population.import"]
    q = access.scope_q(Village, user, roles=roles)
    if q is access.NOTHING:
        return Village.objects.none()
    return Village.objects.filter(q).select_related("subdistrict__area").order_by("code")


def _scope_for(villages, village):
    """(area, subdistrict, village) a new list is filed under."""
    if village is not None:
        return village.subdistrict.area, village.subdistrict, village
    subdistricts = {v.subdistrict_id for v in villages}
    first = villages[0]
    return first.subdistrict.area, (first.subdistrict if len(subdistricts) == 1 else None), None


def _runner(*, villages, village, path, actor, reason="", progress=None):
    area, _, _ = _scope_for(villages, village)
    return PopulationImport(area=area, villages=villages, default_village=village, path=path, actor=actor,
                            reason=reason, progress=progress)


POPULATION_PREVIEW_JOB = "students.population_preview"
POPULATION_COMMIT_JOB = "students.population_commit"


def _upload_villages(actor, village):
    villages = list(importable_villages(actor))
    if not villages:
        raise PermissionDenied("您没有权限导入适龄儿童名单。")
    if village is not None and village.pk not in {v.pk for v in villages}:
        raise PermissionDenied("您不能为该村/社区导入名单。")
    if village is None and len(villages) == 1:
        village = villages[0]
    return villages, village


def _preview(record, *, villages, village, actor, progress=None):
    record._history_user = actor
    runner = _runner(villages=villages, village=village, path=_stored_path(record), actor=actor, progress=progress)
    record.reference_date = runner.reference
    try:
        report = runner.run()
    except SpreadsheetRefused as exc:
        discard_file(record)  # beyond a safety limit: refused like a bad upload, nothing recorded
        raise ValidationError({"file": str(exc)}) from None
    except FileFormatError as exc:
        discard_file(record)
        expire_stale(PopulationList)
        record.status, record.message = PopulationList.Status.FAILED, str(exc)
        record.save()
        return record
    expire_stale(PopulationList)
    report.apply_to(record)
    record.save()
    return record


@transaction.atomic
def population_list_upload(*, actor, uploaded_file, village=None):
    villages, village = _upload_villages(actor, village)
    check_upload(uploaded_file)
    area, subdistrict, village = _scope_for(villages, village)
    record = PopulationList(area=area, subdistrict=subdistrict, village=village, uploaded_by=actor,
                            original_name=uploads.display_name(uploaded_file.name)[:200], file_size=uploaded_file.size,
                            sha256=_digest(uploaded_file))
    record.file.save(record.original_name, uploaded_file, save=False)
    return _preview(record, villages=villages, village=village, actor=actor)


def population_list_start(*, actor, uploaded_file, village=None):
    """The web request's part of an upload: check it, stage the file privately, start the preview job."""
    from kongchuo.jobs.services import job_start

    villages, village = _upload_villages(actor, village)
    check_upload(uploaded_file)
    name = uploads.display_name(uploaded_file.name)[:200]
    return job_start(actor=actor, kind=POPULATION_PREVIEW_JOB, label=f"适龄儿童名单比对预览（{name}）",
                     params={"village": village.pk if village else None, "original_name": name, "needs_input": True},
                     input_file=uploaded_file)


@transaction.atomic
def population_list_preview_staged(*, actor, stored_name, original_name, village_id=None, progress=None):
    """The preview job's work on the staged file: one transaction (a killed job leaves no record)."""
    village = Village.objects.select_related("subdistrict__area").get(pk=village_id) if village_id else None
    villages, village = _upload_villages(actor, village)
    area, subdistrict, village = _scope_for(villages, village)
    storage = PopulationList._meta.get_field("file").storage
    with storage.open(stored_name, "rb") as fh:
        sha = hashlib.file_digest(fh, "sha256").hexdigest()
    record = PopulationList(area=area, subdistrict=subdistrict, village=village, uploaded_by=actor,
                            original_name=original_name[:200], file_size=storage.size(stored_name), sha256=sha)
    record.file.name = stored_name
    return _preview(record, villages=villages, village=village, actor=actor, progress=progress)


def population_list_commit_start(*, actor, record, valid_only=False):
    from kongchuo.jobs.services import job_start

    if not access.can(actor, "population.import", record):
        raise PermissionDenied("您没有权限导入该名单。")
    if record.status != PopulationList.Status.PREVIEWED or not record.file:
        raise ValidationError(f"该名单已处理（{record.get_status_display()}），不能再次导入；如需导入请重新上传。")
    return job_start(actor=actor, kind=POPULATION_COMMIT_JOB,
                     label=f"适龄儿童名单确认导入：第 {record.pk} 批（{record.original_name}）",
                     params={"record": record.pk, "valid_only": bool(valid_only)})


def _allowed_villages_for(actor, record):
    if record.village_id:
        return [record.village]
    villages = [v for v in importable_villages(actor)
                if (record.subdistrict_id is None or v.subdistrict_id == record.subdistrict_id)]
    return villages


@transaction.atomic
def population_list_commit(*, actor, record, valid_only=False, progress=None):
    record = (PopulationList.objects.select_for_update(of=("self",))
              .select_related("village__subdistrict__area").get(pk=record.pk))
    if not access.can(actor, "population.import", record):
        raise PermissionDenied("您没有权限导入该名单。")
    if record.status != PopulationList.Status.PREVIEWED or not record.file:
        raise ValidationError(f"该名单已处理（{record.get_status_display()}），不能再次导入；如需导入请重新上传。")
    villages = _allowed_villages_for(actor, record)
    record._history_user = actor
    runner = _runner(villages=villages, village=record.village, path=_stored_path(record), actor=actor,
                     reason=f"学籍比对名单（第 {record.pk} 批，{record.original_name}）"[:100], progress=progress)
    try:
        report = runner.run(commit=True, valid_only=valid_only, population_list=record)
    except FileFormatError as exc:
        raise ValidationError(str(exc)) from None
    report.apply_to(record)
    if not report.committed:
        record.message = (f"名单中有 {report.invalid} 行错误，按“整个文件”方式未导入任何数据。"
                          "请修改后重新上传，或选择“仅导入有效行”。")
        record.save()
        return record, report
    discard_file(record)
    record.status = PopulationList.Status.COMMITTED
    record.mode = PopulationList.Mode.VALID_ONLY if valid_only else PopulationList.Mode.ALL
    record.committed_by, record.committed_at, record.message = actor, timezone.now(), ""
    record.save()
    log_access(user=actor, action=AccessLog.Action.IMPORT, obj=record, scope=record.scope_label,
               purpose="学籍比对名单导入", detail=f"{record.original_name}：{report.counts_line()}")
    return record, report


@transaction.atomic
def population_list_cancel(*, actor, record):
    record = PopulationList.objects.select_for_update().get(pk=record.pk)
    if not access.can(actor, "population.import", record):
        raise PermissionDenied("您没有权限处理该名单。")
    if record.status != PopulationList.Status.PREVIEWED:
        raise ValidationError(f"该名单已处理（{record.get_status_display()}），不能取消。")
    discard_file(record)
    record.status, record.message = PopulationList.Status.CANCELLED, "已取消，未导入任何数据，上传的文件已删除。"
    record._history_user = actor
    record.save()
    return record


def population_import_from_path(*, path, village, actor=None, commit=False, valid_only=False):
    """Command line: `import_population FILE --village CODE` (preview, or commit recorded as a PopulationList)."""
    village = Village.objects.select_related("subdistrict__area").get(pk=village.pk)
    if actor is not None and not access.can(actor, "population.import", village):
        raise PermissionDenied("该用户没有权限为该村/社区导入名单。")
    runner = _runner(villages=[village], village=village, path=path, actor=actor)
    if not commit:
        return None, runner.run()
    name = os.path.basename(str(path))
    with open(path, "rb") as fh:
        sha = hashlib.file_digest(fh, "sha256").hexdigest()
    with transaction.atomic():
        record = PopulationList.objects.create(
            area=village.subdistrict.area, subdistrict=village.subdistrict, village=village, uploaded_by=actor,
            original_name=name[:200], source=PopulationList.Source.CLI, file_size=os.path.getsize(path), sha256=sha,
            reference_date=runner.reference)
        runner.reason = f"学籍比对名单（第 {record.pk} 批，命令行，{name}）"[:100]
        report = runner.run(commit=True, valid_only=valid_only, population_list=record)
        report.apply_to(record)
        if report.committed:
            record.status = PopulationList.Status.COMMITTED
            record.mode = PopulationList.Mode.VALID_ONLY if valid_only else PopulationList.Mode.ALL
            record.committed_by, record.committed_at = actor, timezone.now()
            log_access(user=actor, action=AccessLog.Action.IMPORT, obj=record, scope=village.name,
                       purpose="学籍比对名单导入（命令行）", username=actor.get_username() if actor else "命令行",
                       detail=f"{name}：{report.counts_line()}")
        else:
            record.status = PopulationList.Status.REJECTED
            record.message = f"名单中有 {report.invalid} 行错误，未导入任何数据。"
        record.save()
    return record, report


@transaction.atomic
def population_entry_verify(*, actor, entry, decision, note=""):
    """核实 a candidate: 已在外地就读 (proof note required) / 适龄未入学 / 确认失学."""
    entry = (Entry.objects.select_for_update(of=("self",)).select_related("village", "matched_student")
             .get(pk=entry.pk))
    if not access.can(actor, "population.verify", entry):
        raise PermissionDenied("您没有权限核实该儿童的情况。")
    if not entry.candidate_kind or entry.status != Entry.Status.PENDING:
        raise ValidationError(f"该儿童当前为“{entry.get_status_display()}”，不是待核实对象。")
    if decision not in DECISIONS:
        raise ValidationError({"decision": "请选择核实结果：已在外地就读、适龄未入学或确认失学。"})
    note = (note or "").strip()
    if decision == Entry.Status.ELSEWHERE and len(note) < 4:
        raise ValidationError({"note": "已在外地就读须写明就读学校及证明材料（如学籍证明、在校证明、转学联系函）。"})
    if len(note) > 300:
        raise ValidationError({"note": "核实说明不能超过 300 字。"})
    student = None
    if DECISIONS[decision] is not None:
        student = _student_for(entry, DECISIONS[decision], actor)
        entry.student = student
    entry.status = decision
    entry.verified_by, entry.verified_at, entry.verify_note = actor, timezone.now(), note
    entry._history_user = actor
    entry.save()
    if student is not None:
        population_candidate_confirmed.send(sender=Entry, student=student, candidate=entry, actor=actor)
    return entry


def _student_for(entry, status, actor):
    """The off-roll record the match found, or a new Student for a child never registered (no school)."""
    if entry.matched_student is not None and entry.match == Entry.Match.OFF_ROLL:
        return entry.matched_student
    if entry.id_number:
        existing = Student.objects.filter(id_number=entry.id_number).first()
        if existing is not None:
            if existing.status in Student.ON_ROLL_STATUSES:
                raise ValidationError(f"该身份证号已登记为在读学生（{existing.school or '未分配学校'}），"
                                      "请选择“已在外地就读”以外的情况前先核对。")
            return existing
    student = Student(name=entry.name, gender=entry.gender, birth_date=entry.birth_date, id_number=entry.id_number,
                      student_number=None, village=entry.village, address=entry.address, status=status)
    student._history_user = actor
    student.save()
    if entry.guardian_name:
        member = FamilyMember(student=student, name=entry.guardian_name, relation="监护人",
                              phone=entry.guardian_phone, is_guardian=True)
        member._history_user = actor
        member.save()
    return student


def verify_choices():
    return [(value, Entry.Status(value).label) for value in DECISIONS]
