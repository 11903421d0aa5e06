"""The roster export as a background job (kongchuo/jobs). Registered from ReportsConfig.ready."""
from kongchuo.jobs import Outcome, register_kind
from kongchuo.models import School

from . import services

ROSTER_JOB = "reports.roster"


def run_export(*, job, progress):
    p = job.params
    school = School.objects.get(pk=p["school"]) if p.get("school") else None
    progress(0, total=0, message="正在按月末状态汇总名单…")
    content, total, name = services.roster_export(
        actor=job.requester, kind=p["kind"], year=p["year"], month=p["month"], school=school,
        unmask=bool(p.get("unmask")), purpose=p.get("purpose", ""),
        progress=lambda done, total=None: progress(done, message=f"已写入 {done} 行…"))
    progress(total, total=total)
    return Outcome(message=f"已生成《{name}》，共 {total} 行。", file_name=name, file_content=content,
                   result={"rows": total})


def register():
    register_kind(ROSTER_JOB, label="导出花名册", action="report.export", run=run_export)
