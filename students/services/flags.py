"""Vulnerability flags (重点关注): set and end, never delete; history kept (SPEC §3)."""
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from students import idnumbers
from students.models import VulnerabilityFlag

from .base import require, stamp

Kind = VulnerabilityFlag.Kind
EXCLUSIVE = ({Kind.LEFT_BEHIND_ONE, Kind.LEFT_BEHIND_BOTH},)
DISABILITY_CATEGORY_DIGITS = "1234567"  # 视力 听力 言语 肢体 智力 精神 多重
DISABILITY_LEVEL_DIGITS = "1234"


def check_disability_certificate(value):
    """第二代残疾人证号: 18-character ID number + 残疾类别 (1–7) + 残疾等级 (1–4)."""
    value = idnumbers.normalize(value)
    if not value:
        return ""
    if len(value) != 20:
        raise ValidationError({"disability_certificate":
                               f"残疾证号应为 20 位（身份证号 18 位 + 残疾类别 1 位 + 残疾等级 1 位），实际 {len(value)} 位。"})
    try:
        idnumbers.parse(value[:18])
    except idnumbers.IdNumberError as exc:
        raise ValidationError({"disability_certificate": f"残疾证号前 18 位应为持证人身份证号：{exc}。"}) from None
    if value[18] not in DISABILITY_CATEGORY_DIGITS or value[19] not in DISABILITY_LEVEL_DIGITS:
        raise ValidationError({"disability_certificate": "残疾证号第 19 位为残疾类别（1–7），第 20 位为残疾等级（1–4）。"})
    return value


@transaction.atomic
def flag_set(*, actor, student, kind, start_date, source, source_detail="", disability_type="",
             disability_certificate="", note=""):
    require(actor, "student.flag", student, "您没有权限为该学生设置重点关注标记。")
    errors = {}
    if kind not in Kind.values:
        errors["kind"] = "请选择标记类别。"
    if source not in VulnerabilityFlag.Source.values:
        errors["source"] = "请选择信息来源。"
    if not start_date:
        errors["start_date"] = "请填写开始日期。"
    elif start_date > timezone.localdate():
        errors["start_date"] = "开始日期不能晚于今天。"
    if kind == Kind.DISABLED:
        if disability_type not in VulnerabilityFlag.DisabilityType.values:
            errors["disability_type"] = "学生残疾须选择残疾类别。"
        try:
            disability_certificate = check_disability_certificate(disability_certificate)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    else:
        disability_type, disability_certificate = "", ""
    if errors:
        raise ValidationError(errors)
    active = {f.kind: f for f in VulnerabilityFlag.objects.select_for_update()
              .filter(student=student, end_date__isnull=True).order_by("pk")}
    if kind in active:
        raise ValidationError({"kind": f"该学生已有有效的“{active[kind].get_kind_display()}”标记"
                                       f"（自 {active[kind].start_date:%Y-%m-%d} 起），无需重复设置。"})
    for group in EXCLUSIVE:
        if kind in group:
            for other in group - {kind}:
                if other in active:
                    raise ValidationError({"kind": f"“{Kind(kind).label}”与现有的“{Kind(other).label}”不能同时有效，"
                                                   "请先解除原标记。"})
    flag = VulnerabilityFlag(student=student, kind=kind, start_date=start_date, source=source,
                             source_detail=(source_detail or "").strip(), disability_type=disability_type,
                             disability_certificate=disability_certificate, note=(note or "").strip(),
                             set_by=actor)
    try:
        with transaction.atomic():
            stamp(flag, actor).save()
    except IntegrityError:
        raise ValidationError({"kind": "该标记刚刚已被他人设置，请刷新页面。"}) from None
    return flag


@transaction.atomic
def flag_end(*, actor, flag, end_date, reason):
    require(actor, "student.flag", flag.student, "您没有权限解除该学生的重点关注标记。")
    flag = VulnerabilityFlag.objects.select_for_update().get(pk=flag.pk)
    errors = {}
    if flag.end_date is not None:
        raise ValidationError(f"该标记已于 {flag.end_date:%Y-%m-%d} 解除。")
    if not end_date:
        errors["end_date"] = "请填写结束日期。"
    elif end_date > timezone.localdate():
        errors["end_date"] = "结束日期不能晚于今天。"
    elif end_date < flag.start_date:
        errors["end_date"] = f"结束日期不能早于开始日期 {flag.start_date:%Y-%m-%d}。"
    if not (reason or "").strip():
        errors["reason"] = "请填写解除原因（如 父母返乡、已脱离监测）。"
    if errors:
        raise ValidationError(errors)
    flag.end_date, flag.end_reason, flag.ended_by = end_date, reason.strip(), actor
    stamp(flag, actor).save()
    return flag
