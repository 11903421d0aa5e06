"""Every write of the notices app: issue (numbering), record service (送达), cancel, template versions, the clock.

Services are keyword-only and atomic; refusals raise NoticeError (a clear Chinese message naming the
field) or PermissionDenied (the object is visible but the role may not act). Notices change a case only
through the case services (`case_transition`, `case_add_note`).
"""
import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from cases.models import Case
from kongchuo import access, lifecycle
from kongchuo.lifecycle import STALE_TAIL, when, who
from notices import receipts
from notices.facts import alive_visits, build_content
from notices.models import Notice, NoticeCounter, NoticeKind, NoticeService, NoticeTemplate, deadline_for
from notices.texts import DEFAULT_RECEIPT_NOTE, DEFAULTS, validate_template_text

log = logging.getLogger(__name__)
S = Case.Status

# Messages the tests reuse.
ERR_NO_GUARDIAN = "该学生没有登记法定监护人，不能下达通知书。请先在学生档案的“家庭成员”中登记监护人（勾选“是否监护人”）。"
ERR_NOT_GUARDIAN = "所选的人不是该学生登记的法定监护人。"
ERR_CLOSED = "个案已结案（{status}），不能下达通知书。"
ERR_OPEN_NOTICE = "该个案已有未结束的通知书 {number}（{status}），不能重复下达。如需重新下达，请先作废原通知书。"
ERR_CONCURRENT = "该个案刚刚已由他人下达了通知书，不能重复下达。请刷新页面查看。"
ERR_FEW_VISITS = ("劝返复学通知书须在多次劝返无效后下达：本个案只登记了 {count} 次家访，至少需要 {minimum} 次。"
                  "请先登记家访，开学未返校的学生可下达“辍学学生劝返通知书”。")
ERR_NO_SCHOOL = "个案没有所属学校，不能由学校下达通知书。"
ERR_DROPOUT_DATE = "请填写辍学（未到校）日期。"
ERR_DROPOUT_FUTURE = "辍学（未到校）日期不能晚于今天。"
ERR_NOT_SERVABLE = "通知书状态为“{status}”，不能登记送达。"
ERR_SERVED_FUTURE = "送达时间不能晚于现在。"
ERR_SERVED_BEFORE_ISSUE = "送达时间不能早于下达日期（{date}）。"
ERR_WITNESS = "留置送达必须填写见证人。"
ERR_CANCEL_REASON = "请填写作废原因。"
ERR_NOT_CANCELLABLE = "通知书状态为“{status}”，不能作废。"
ERR_SERVED_NOT_CANCELLABLE = "通知书已送达并在计时，不能作废；如送达有误，请联系教育办处理。"

STATUS_BLOCKS = {
    S.NOTICE_SERVED: "个案已处于“通知已送达”状态，限期尚在计时，不能再下达通知书。",
    S.REPORTED: "个案已上报管理区，由办事处依法处理，学校不再下达通知书。",
    S.RETURNED: "学生已复学，无需下达通知书。",
    S.RETENTION: "学生已复学并在保学跟踪中，无需下达通知书。",
}


class NoticeError(ValidationError):
    """A refusal with a clear Chinese message; `field` names the form field when there is one."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field

    def __str__(self):
        return self.message


def _cases():
    import cases.services

    return cases.services


def _case_error():
    return _cases().CaseError


def min_visits():
    return settings.KONGCHUO.get("NOTICE_MIN_VISITS", 2)


# ------------------------------------------------------------------------------------------ templates
def notice_template_current(*, area, kind):
    """The newest wording of `kind` for `area`; version 1 is the built-in default, created on first use."""
    template = NoticeTemplate.objects.filter(area=area, kind=kind).order_by("-version").first()
    if template is not None:
        return template
    default = DEFAULTS[NoticeKind(kind)]
    NoticeTemplate.objects.bulk_create(
        [NoticeTemplate(area=area, kind=kind, version=1, title=default["title"], body=default["body"],
                        receipt_note=DEFAULT_RECEIPT_NOTE, change_note="系统默认文本")],
        ignore_conflicts=True)
    return NoticeTemplate.objects.filter(area=area, kind=kind).order_by("-version").first()


@transaction.atomic
def notice_template_save(*, area, kind, actor, title, body, receipt_note="", change_note="") -> NoticeTemplate:
    """Save edited wording as the next version (earlier versions stay: issued notices reprint with theirs)."""
    if not access.can(actor, "notice.template_edit"):
        raise PermissionDenied("您不能修改通知书模板。")
    if kind not in NoticeKind.values:
        raise NoticeError("通知书种类无效。", field="kind")
    title, body = (title or "").strip(), (body or "").strip()
    if not title:
        raise NoticeError("请填写标题。", field="title")
    if not body:
        raise NoticeError("请填写正文。", field="body")
    try:
        validate_template_text(body, field="body")
        validate_template_text(receipt_note or "", field="receipt_note")
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise NoticeError(messages[0], field=field)
    current = notice_template_current(area=area, kind=kind)
    # Lock the newest version so two editors saving at once get consecutive versions.
    current = NoticeTemplate.objects.select_for_update().get(pk=current.pk)
    latest = NoticeTemplate.objects.filter(area=area, kind=kind).order_by("-version").first()
    if (latest.title, latest.body, latest.receipt_note) == (title, body, (receipt_note or "").strip()):
        raise NoticeError("内容没有变化，无需保存新版本。")
    return NoticeTemplate.objects.create(
        area=area, kind=kind, version=latest.version + 1, title=title, body=body,
        receipt_note=(receipt_note or "").strip(), change_note=(change_note or "").strip()[:200], created_by=actor)


# ------------------------------------------------------------------------------------------ issue
def guardians_of(student):
    return list(student.family_members.filter(is_guardian=True).order_by("id"))


def issue_problems(case):
    """Why a notice cannot be issued on `case` right now (empty: it can). Used by the form and the service."""
    if case.is_deleted:
        return ["个案已删除。"]
    if case.is_closed:
        return [ERR_CLOSED.format(status=case.get_status_display())]
    if case.status in STATUS_BLOCKS:
        return [STATUS_BLOCKS[case.status]]
    if case.status not in (S.WARNING, S.PERSUADING):
        return [f"个案处于“{case.get_status_display()}”状态，不能下达通知书。"]
    problems = []
    if not case.school_id:
        problems.append(ERR_NO_SCHOOL)
    existing = Notice.objects.filter(case=case).open().first()
    if existing is not None:
        problems.append(ERR_OPEN_NOTICE.format(number=existing.number, status=existing.get_status_display()))
    if not guardians_of(case.student):
        problems.append(ERR_NO_GUARDIAN)
    return problems


def _next_seq(school, year):
    """Gap-free serial: the counter row is locked until the issuing transaction ends (commit or rollback)."""
    NoticeCounter.objects.bulk_create([NoticeCounter(school=school, year=year)], ignore_conflicts=True)
    counter = NoticeCounter.objects.select_for_update().get(school=school, year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


@transaction.atomic
def notice_issue(*, case, actor, kind, guardian, dropout_date=None, red_header=True, now=None) -> Notice:
    """Issue a notice on `case` to the legal `guardian`, numbered per school and calendar year."""
    now = now or timezone.now()
    if not access.can(actor, "notice.issue", case):
        raise PermissionDenied("您的角色不能下达通知书。")
    if kind not in NoticeKind.values:
        raise NoticeError("请选择通知书种类。", field="kind")
    # Serialise everything that happens to this case (a second admin issuing at the same moment waits here).
    list(Case.objects.select_for_update().filter(pk=case.pk).values_list("pk"))
    case.refresh_from_db()
    problems = issue_problems(case)
    if problems:
        raise NoticeError(problems[0])
    if guardian is None:
        raise NoticeError(ERR_NO_GUARDIAN, field="guardian")
    if guardian.student_id != case.student_id or not guardian.is_guardian:
        raise NoticeError(ERR_NOT_GUARDIAN, field="guardian")
    dropout_date = dropout_date or case.dropout_date
    if dropout_date is None:
        raise NoticeError(ERR_DROPOUT_DATE, field="dropout_date")
    today = timezone.localdate(now)
    if dropout_date > today:
        raise NoticeError(ERR_DROPOUT_FUTURE, field="dropout_date")
    visits = list(alive_visits(case))
    if kind == NoticeKind.RETURN and len(visits) < min_visits():
        raise NoticeError(ERR_FEW_VISITS.format(count=len(visits), minimum=min_visits()))
    school = case.school
    template = notice_template_current(area=school.area, kind=kind)
    notice = Notice(
        case=case, school=school, kind=kind, template=template, year=today.year, seq=_next_seq(school, today.year),
        number_prefix=(school.short_name or school.name)[:20], guardian=guardian, issue_date=today,
        red_header=bool(red_header), issued_by=actor,
        content=build_content(case=case, guardian=guardian, dropout_date=dropout_date, actor=actor, visits=visits),
    )
    try:
        with transaction.atomic():
            notice.save()
    except IntegrityError:
        raise NoticeError(ERR_CONCURRENT)
    _cases().case_add_note(case=case, actor=actor, now=now,
                           text=f"下达《{template.title}》{notice.number}，受送达人：{guardian.name}（{guardian.relation}）")
    transaction.on_commit(lambda: prerender(notice.pk))
    return notice


def prerender(pk):
    """Render and store the PDF right after issuing, so printing (and batch printing) only joins stored files."""
    from notices.rendering import cached_pdf

    try:
        cached_pdf(Notice.objects.select_related("template").get(pk=pk))
    except Exception:  # noqa: BLE001 - the notice is issued; its PDF is rendered on first print instead
        log.exception("could not pre-render notice %s", pk)


# ------------------------------------------------------------------------------------------ service (送达)
@transaction.atomic
def notice_record_service(*, notice, actor, served_at, method, recipient_name, place, deliverers,
                          recipient_relation="", witness="", receipt_scan=None, note="", expected=None,
                          now=None) -> NoticeService:
    """Record delivery; the deadline (calendar days, the day of service not counted) starts now.

    `expected={"status": "issued"}` (what the page showed): a second 登记送达 gets StaleState naming who recorded
    the first one (kongchuo.lifecycle)."""
    now = now or timezone.now()
    if not access.can(actor, "notice.serve", notice):
        raise PermissionDenied("您的角色不能登记送达。")
    notice = lifecycle.guard(Notice.objects.get(pk=notice.pk), expected)
    if notice.status != Notice.Status.ISSUED:
        raise NoticeError(ERR_NOT_SERVABLE.format(status=notice.get_status_display()))
    if method not in NoticeService.Method.values:
        raise NoticeError("请选择送达方式。", field="method")
    if served_at is None:
        raise NoticeError("请填写送达时间。", field="served_at")
    if served_at > now + timedelta(minutes=5):
        raise NoticeError(ERR_SERVED_FUTURE, field="served_at")
    if timezone.localtime(served_at).date() < notice.issue_date:
        raise NoticeError(ERR_SERVED_BEFORE_ISSUE.format(date=notice.issue_date), field="served_at")
    recipient_name, place, deliverers = (v.strip() for v in (recipient_name or "", place or "", deliverers or ""))
    witness = (witness or "").strip()
    for value, field, label in ((recipient_name, "recipient_name", "受送达人（签收人）"), (place, "place", "送达地点"),
                                (deliverers, "deliverers", "送达人")):
        if not value:
            raise NoticeError(f"请填写{label}。", field=field)
    if method == NoticeService.Method.LEFT and not witness:
        raise NoticeError(ERR_WITNESS, field="witness")
    upload = receipts.clean_upload(receipt_scan) if receipt_scan else None
    service = NoticeService(notice=notice, served_at=served_at, method=method, recipient_name=recipient_name[:50],
                            recipient_relation=(recipient_relation or "").strip()[:20], place=place[:200],
                            deliverers=deliverers[:100], witness=witness[:100], note=(note or "").strip(),
                            recorded_by=actor)
    if upload is not None:
        service.receipt_scan.save(upload.name, upload, save=False)
    service.save()
    notice.served_at = served_at
    notice.deadline_date, notice.due_at = deadline_for(served_at)
    notice.status = Notice.Status.SERVED
    notice.save(update_fields=["served_at", "deadline_date", "due_at", "status"])
    try:
        _cases().case_transition(
            case=notice.case, to_status=S.NOTICE_SERVED, actor=actor, now=now,
            reason=(f"《{notice.title}》{notice.number}已于{timezone.localtime(served_at):%Y-%m-%d %H:%M}"
                    f"{service.get_method_display()}给{recipient_name}，限{notice.deadline_date:%Y-%m-%d}前送学生返校"),
            notice=notice.number, deadline=notice.deadline_date)
    except _case_error() as exc:
        raise NoticeError(f"个案状态不允许登记送达：{exc.message}")
    return service


# ------------------------------------------------------------------------------------------ cancel
@transaction.atomic
def notice_cancel(*, notice, actor, reason, expected=None, now=None) -> Notice:
    """Cancel (作废) a notice: it keeps its number, shows 已作废 and the reason; the serial is never reused.
    `expected`: as notice_record_service."""
    now = now or timezone.now()
    if not access.can(actor, "notice.cancel", notice):
        raise PermissionDenied("您的角色不能作废通知书。")
    notice = lifecycle.guard(Notice.objects.get(pk=notice.pk), expected)
    reason = (reason or "").strip()
    if not reason:
        raise NoticeError(ERR_CANCEL_REASON, field="reason")
    if notice.status == Notice.Status.SERVED:
        raise NoticeError(ERR_SERVED_NOT_CANCELLABLE)
    if notice.status != Notice.Status.ISSUED:
        raise NoticeError(ERR_NOT_CANCELLABLE.format(status=notice.get_status_display()))
    notice.status = Notice.Status.CANCELLED
    notice.cancelled_at, notice.cancelled_by, notice.cancel_reason = now, actor, reason[:200]
    notice.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason"])
    from notices.rendering import invalidate_pdf

    invalidate_pdf(notice)  # the printed form now carries the 作废 banner
    _cases().case_add_note(case=notice.case, actor=actor, now=now,
                           text=f"作废《{notice.title}》{notice.number}，原因：{reason}")
    return notice


def describe_stale(notice, field):
    """Why a notice is no longer in the status its page showed (kongchuo.lifecycle; registered in ready())."""
    if notice.status == Notice.Status.SERVED:
        service = NoticeService.objects.filter(notice=notice).select_related("recorded_by").first()
        if service is not None:
            return (f"通知书 {notice.number} 已由{who(service.recorded_by)}于{when(service.recorded_at)}登记送达"
                    f"（{service.get_method_display()}）。{STALE_TAIL}")
    if notice.status == Notice.Status.CANCELLED:
        return f"通知书 {notice.number} 已由{who(notice.cancelled_by)}于{when(notice.cancelled_at)}作废。{STALE_TAIL}"
    if notice.closed_at:
        return f"通知书 {notice.number} 已于{when(notice.closed_at)}变为“{notice.get_status_display()}”。{STALE_TAIL}"
    return ""


# ------------------------------------------------------------------------------------------ the clock
RETURNED_STATUSES = (S.RETURNED, S.RETENTION)


def stop_clock_for_case(case, *, now=None):
    """A case left the out-of-school states (returned, closed, paused): its open notices stop counting."""
    if case.status in (S.WARNING, S.PERSUADING, S.NOTICE_SERVED):
        return 0
    now = now or timezone.now()
    status = Notice.Status.RETURNED if case.status in RETURNED_STATUSES else Notice.Status.ENDED
    stopped = 0
    for notice in Notice.objects.select_for_update().filter(case=case, status__in=Notice.OPEN_STATUSES):
        notice.status, notice.closed_at = status, now
        notice.save(update_fields=["status", "closed_at"])
        stopped += 1
    return stopped


def notice_check_deadlines(*, now) -> list:
    """Part of `run_deadlines` (idempotent): served notices whose deadline lapsed without the child's return
    become 逾期 and their case goes to 上报管理区 (owner: 办事处) through the case service."""
    lines = []
    due = list(Notice.objects.filter(status=Notice.Status.SERVED, due_at__lte=now)
               .order_by("due_at", "pk").values_list("pk", flat=True))
    for pk in due:
        try:
            with transaction.atomic():
                lines.append(_check_one(pk, now))
        except Exception as exc:  # noqa: BLE001 - one broken case must not stop the others; it is retried next run
            log.exception("notice deadline check failed for notice %s", pk)
            lines.append(f"通知书 #{pk}：处理失败（{exc}），下次运行将重试")
    return [line for line in lines if line]


def _check_one(pk, now):
    notice = (Notice.objects.select_for_update(skip_locked=True).select_related("case__student")
              .filter(pk=pk, status=Notice.Status.SERVED).first())
    if notice is None:  # handled meanwhile (a concurrent run or a return)
        return ""
    case = notice.case
    if case.status != S.NOTICE_SERVED:
        status = Notice.Status.RETURNED if case.status in RETURNED_STATUSES else Notice.Status.ENDED
        notice.status, notice.closed_at = status, now
        notice.save(update_fields=["status", "closed_at"])
        return f"{notice.number}：个案已是“{case.get_status_display()}”，停止计时"
    notice.status, notice.closed_at = Notice.Status.OVERDUE, now
    notice.save(update_fields=["status", "closed_at"])
    _cases().case_transition(
        case=case, to_status=S.REPORTED, actor=None, now=now,
        reason=(f"《{notice.title}》{notice.number}于{timezone.localtime(notice.served_at):%Y-%m-%d}送达，"
                f"限{notice.deadline_date:%Y-%m-%d}前送学生返校，逾期未返校，系统自动上报管理区采取制约措施"),
        notice=notice.number, deadline=notice.deadline_date)
    return f"{notice.number}（{case.student.name}）：逾期未返校，已上报管理区"
