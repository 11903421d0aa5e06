"""Writes of reports: an export (the workbook plus its access-log row, in one transaction)."""
from django.core.exceptions import PermissionDenied
from django.db import transaction

from kongchuo import access
from kongchuo.audit import log_access
from kongchuo.models import AccessLog, School

from . import rosters

AREA_UNMASK_MESSAGE = ("全区导出完整身份证号和电话须经另一位教育办人员审批（GB/T 35273-2020 §7.1），"
                       "该审批尚未开放：请按学校导出，或选择脱敏导出。")


def check_export(*, actor, kind, year, month, school=None, unmask=False, purpose=""):
    """Validate one export request; returns a rosters.Request or raises ExportError / PermissionDenied (Chinese)."""
    spec = rosters.KINDS.get(kind)
    if spec is None:
        raise rosters.ExportError(f"名册类型“{kind}”不存在，可选：" + "、".join(
            f"{k}（{v.label}）" for k, v in rosters.KINDS.items()))
    if not access.can(actor, "report.export"):
        raise PermissionDenied("您没有导出花名册的权限。")
    if school is not None:
        if not access.visible(School, actor).filter(pk=school.pk).exists() or not access.can(actor, "report.export",
                                                                                               school):
            raise PermissionDenied(f"您无权导出“{school.name}”的花名册。")
    purpose = (purpose or "").strip()
    if unmask:
        if not purpose:
            raise rosters.ExportError("导出完整身份证号和电话时，“导出用途”必须填写。")
        if not rosters.may_unmask(actor, school):
            raise PermissionDenied("您的角色不能导出完整身份证号和电话，请选择脱敏导出。")
        if school is None:
            raise PermissionDenied(AREA_UNMASK_MESSAGE)
    return rosters.Request(user=actor, kind=spec, year=year, month=month, school=school, unmask=unmask,
                           purpose=purpose)


@transaction.atomic
def roster_export(*, actor, kind, year, month, school=None, unmask=False, purpose="", progress=None, request=None):
    """Build the workbook for `actor` and log it. Returns (content, rows, file name)."""
    req = check_export(actor=actor, kind=kind, year=year, month=month, school=school, unmask=unmask,
                       purpose=purpose)
    content, total, _ = rosters.build_workbook(req, progress=progress)
    scope = school.name if school else f"全区（{rosters.area_name(req)}）"
    log_access(request=request, user=actor, action=AccessLog.Action.EXPORT, object_type="reports.roster",
               object_id=kind, scope=scope, purpose=purpose or "（未填写）",
               detail=(f"导出{req.kind.label}；月份 {year}-{month:02d}（截至 {req.day:%Y-%m-%d}）；{total} 行；"
                       f"{'不脱敏' if unmask else '脱敏'}"))
    return content, total, rosters.file_name(req)
