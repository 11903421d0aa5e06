"""The term-start 未返校 check of a whole school as a background job (kongchuo/jobs). Registered from
StudentsConfig.ready; `manage.py term_start_check` calls the same service directly, without a worker."""
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from kongchuo import access
from kongchuo.jobs import Outcome, register_kind
from kongchuo.models import School, Term

from .term import TERM_CHECK_JOB, term_start_check


def run_check(*, job, progress):
    school = School.objects.get(pk=job.params["school"])
    term = Term.objects.select_related("school_year").get(pk=job.params["term"])
    if not access.can(job.requester, "discovery.term_check", school):
        raise PermissionDenied("您没有权限为该学校做返校比对。")
    progress(0, total=1, message=f"正在比对 {school.name} 上学期名单与本学期报到情况…")
    result = term_start_check(school=school, term=term, actor=job.requester)
    progress(1)
    message = f"比对完成：新增未返校 {len(result.created)} 人，详见下方比对结果。"
    if result.unconfirmed:
        message += f"另有 {len(result.unconfirmed)} 个班级尚未确认报到，这些班级的学生本次未比对；请班主任确认报到后再比对一次。"
    return Outcome(message=message, level="warning" if result.unconfirmed else "success",
                   result={"lines": result.lines()[:2000], "created": len(result.created)})


def _back(job):
    return (reverse("students:discovery_term_check", args=[job.params["school"]])
            + f"?term={job.params['term']}&job={job.pk}")


def register():
    register_kind(TERM_CHECK_JOB, label="开学返校比对", action="discovery.term_check", run=run_check,
                  next_url=_back, auto_next=True)
