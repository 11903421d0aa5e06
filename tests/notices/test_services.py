import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from cases.models import Case, CaseEvent, Notification
from notices import services
from notices.models import Notice, NoticeKind, NoticeService, NoticeTemplate
from notices.services import NoticeError, notice_cancel, notice_check_deadlines, notice_issue, notice_record_service
from tests import factories as f
from tests.notices.conftest import FIXED_NOW

pytestmark = pytest.mark.django_db


def issue(case, world, guardian_of, **kw):
    kw.setdefault("kind", NoticeKind.RETURN)
    return notice_issue(case=case, actor=world.principal_a, guardian=guardian_of(case), now=FIXED_NOW, **kw)


def serve(notice, world, at=None, **kw):
    at = at or FIXED_NOW + datetime.timedelta(hours=2)
    data = dict(served_at=at, method=NoticeService.Method.IN_PERSON,
                recipient_name="张父", place="胡洼村23号", deliverers="周敏、吴婷")
    data.update(kw)
    now = kw.pop("now", None) or max(at, FIXED_NOW) + datetime.timedelta(hours=1)
    data.pop("now", None)
    return notice_record_service(notice=notice, actor=world.principal_a, now=now, **data)


def test_notice_issue_numbers_per_school_and_year(world, make_case, guardian_of):
    first = issue(make_case(world.a1), world, guardian_of)
    second = issue(make_case(world.a2), world, guardian_of)
    assert (first.year, first.seq, second.seq) == (2026, 1, 2)
    assert first.number == f"{world.school_a.short_name}〔2026〕第001号"
    assert second.number.endswith("〔2026〕第002号")


def test_notice_issue_counts_separately_for_other_school(world, make_case, guardian_of):
    issue(make_case(world.a1), world, guardian_of)
    case_b = make_case(world.b1, actor=world.principal_b)
    notice_b = notice_issue(case=case_b, actor=world.principal_b, guardian=guardian_of(case_b),
                            kind=NoticeKind.RETURN, now=FIXED_NOW)
    assert notice_b.seq == 1


def test_notice_issue_freezes_facts_from_case(world, case_a1, guardian_of):
    notice = issue(case_a1, world, guardian_of)
    c = notice.content
    assert c["student_name"] == "张保杰" and c["guardian_name"] == "张保杰之父"
    assert c["dropout_date_text"] == "2026年9月1日"
    assert c["visit_count"] == 2 and c["visit_dates_text"] == "2026年9月5日、9月12日"
    assert c["deadline_days"] == 7
    assert notice.template.version == 1 and notice.status == Notice.Status.ISSUED
    assert CaseEvent.objects.filter(case=case_a1, kind=CaseEvent.Kind.NOTE, reason__contains=notice.number).exists()


def test_notice_issue_without_guardian_gives_chinese_message(world, make_case):
    case = make_case(world.a2, guardian=False)
    with pytest.raises(NoticeError) as exc:
        notice_issue(case=case, actor=world.principal_a, guardian=None, kind=NoticeKind.RETURN, now=FIXED_NOW)
    assert exc.value.message == services.ERR_NO_GUARDIAN
    assert not Notice.objects.exists()


def test_notice_issue_on_closed_case_refused(world, case_a1, guardian_of):
    Case.objects.filter(pk=case_a1.pk).update(status=Case.Status.CLOSED_TRANSFER)
    with pytest.raises(NoticeError, match="个案已结案"):
        issue(case_a1, world, guardian_of)


def test_notice_issue_twice_refused_and_number_not_used(world, case_a1, guardian_of):
    first = issue(case_a1, world, guardian_of)
    with pytest.raises(NoticeError, match="不能重复下达"):
        issue(case_a1, world, guardian_of)
    assert Notice.objects.count() == 1 and first.seq == 1


def test_notice_issue_return_kind_needs_repeated_visits(world, make_case, guardian_of):
    case = make_case(world.a3, visits=1)
    with pytest.raises(NoticeError, match="至少需要 2 次"):
        issue(case, world, guardian_of)
    notice = issue(case, world, guardian_of, kind=NoticeKind.TERM_START)
    assert notice.kind == NoticeKind.TERM_START


def test_notice_issue_guardian_of_another_student_refused(world, case_a1, make_case, guardian_of):
    other = make_case(world.a2)
    with pytest.raises(NoticeError, match="不是该学生登记的法定监护人"):
        notice_issue(case=case_a1, actor=world.principal_a, guardian=guardian_of(other), kind=NoticeKind.RETURN,
                     now=FIXED_NOW)


@pytest.mark.parametrize("username", ["head_a", "teacher_a", "office", "principal_b"])
def test_notice_issue_only_school_admin_of_the_school(world, case_a1, guardian_of, username):
    with pytest.raises(PermissionDenied):
        notice_issue(case=case_a1, actor=getattr(world, username), guardian=guardian_of(case_a1),
                     kind=NoticeKind.RETURN, now=FIXED_NOW)


def test_notice_cancel_keeps_number_and_next_issue_takes_next(world, case_a1, guardian_of):
    first = issue(case_a1, world, guardian_of)
    notice_cancel(notice=first, actor=world.principal_a, reason="监护人姓名有误", now=FIXED_NOW)
    first.refresh_from_db()
    assert first.status == Notice.Status.CANCELLED and first.cancel_reason == "监护人姓名有误"
    second = issue(case_a1, world, guardian_of)
    assert second.seq == 2 and first.number.endswith("第001号")


def test_notice_cancel_needs_reason(world, case_a1, guardian_of):
    notice = issue(case_a1, world, guardian_of)
    with pytest.raises(NoticeError, match="请填写作废原因"):
        notice_cancel(notice=notice, actor=world.principal_a, reason="  ")


def test_notice_service_starts_deadline_and_moves_case(world, case_a1, guardian_of):
    notice = issue(case_a1, world, guardian_of)
    serve(notice, world, at=timezone.make_aware(datetime.datetime(2026, 10, 12, 15, 30)))
    notice.refresh_from_db()
    case_a1.refresh_from_db()
    assert notice.status == Notice.Status.SERVED
    assert notice.deadline_date == datetime.date(2026, 10, 19)  # the day of service does not count
    assert timezone.localtime(notice.due_at) == timezone.make_aware(datetime.datetime(2026, 10, 20, 0, 0))
    assert case_a1.status == Case.Status.NOTICE_SERVED


def test_notice_deadline_runs_from_service_not_issue(world, case_a1, guardian_of):
    notice = issue(case_a1, world, guardian_of)
    serve(notice, world, at=FIXED_NOW + datetime.timedelta(days=3))
    notice.refresh_from_db()
    assert notice.deadline_date == datetime.date(2026, 10, 22)


def test_notice_service_left_needs_witness(world, case_a1, guardian_of):
    notice = issue(case_a1, world, guardian_of)
    with pytest.raises(NoticeError) as exc:
        serve(notice, world, method=NoticeService.Method.LEFT)
    assert exc.value.field == "witness"
    notice.refresh_from_db()
    assert notice.status == Notice.Status.ISSUED and not NoticeService.objects.exists()


def test_notice_service_in_future_refused(world, case_a1, guardian_of):
    notice = issue(case_a1, world, guardian_of)
    with pytest.raises(NoticeError, match="不能晚于现在"):
        serve(notice, world, at=FIXED_NOW + datetime.timedelta(days=2), now=FIXED_NOW)


def test_notice_served_cannot_be_cancelled(world, case_a1, guardian_of):
    notice = issue(case_a1, world, guardian_of)
    serve(notice, world)
    with pytest.raises(NoticeError, match="已送达"):
        notice_cancel(notice=notice, actor=world.principal_a, reason="x")


def test_deadline_check_escalates_overdue_case_to_subdistrict(world, case_a1, guardian_of):
    notice = issue(case_a1, world, guardian_of)
    serve(notice, world)
    before = FIXED_NOW + datetime.timedelta(days=7, hours=12)  # 2026-10-19 21:00: still the last day
    assert notice_check_deadlines(now=before) == []
    after = timezone.make_aware(datetime.datetime(2026, 10, 20, 0, 5))
    lines = notice_check_deadlines(now=after)
    assert len(lines) == 1 and "上报管理区" in lines[0]
    notice.refresh_from_db()
    case_a1.refresh_from_db()
    assert notice.status == Notice.Status.OVERDUE and notice.is_overdue(after)
    assert case_a1.status == Case.Status.REPORTED and case_a1.stage == Case.Stage.SUBDISTRICT
    assert Case.objects.visible_to(world.subdistrict).filter(pk=case_a1.pk).exists()
    assert Notification.objects.filter(recipient=world.subdistrict, case=case_a1).exists()
    assert Notice.objects.visible_to(world.subdistrict).filter(pk=notice.pk).exists()


def test_deadline_check_is_idempotent(world, case_a1, guardian_of):
    notice = issue(case_a1, world, guardian_of)
    serve(notice, world)
    later = FIXED_NOW + datetime.timedelta(days=10)
    assert len(notice_check_deadlines(now=later)) == 1
    events = CaseEvent.objects.filter(case=case_a1).count()
    assert notice_check_deadlines(now=later) == []
    assert notice_check_deadlines(now=later + datetime.timedelta(days=1)) == []
    assert CaseEvent.objects.filter(case=case_a1).count() == events


def test_return_before_deadline_stops_clock(world, case_a1, guardian_of):
    from cases.services import case_record_return

    notice = issue(case_a1, world, guardian_of)
    serve(notice, world)
    case_record_return(case=case_a1, actor=world.principal_a, return_date=datetime.date(2026, 10, 14),
                       placement=Case.Placement.values[0], now=FIXED_NOW + datetime.timedelta(days=2))
    notice.refresh_from_db()
    assert notice.status == Notice.Status.RETURNED
    assert notice_check_deadlines(now=FIXED_NOW + datetime.timedelta(days=30)) == []
    case_a1.refresh_from_db()
    assert case_a1.status == Case.Status.RETURNED


def test_run_deadlines_command_includes_notice_check(world, case_a1, guardian_of):
    from io import StringIO

    from django.core.management import call_command

    notice = issue(case_a1, world, guardian_of)
    serve(notice, world)
    out = StringIO()
    call_command("run_deadlines", "--now", "2026-10-21T08:00", stdout=out)
    assert notice.number in out.getvalue()
    notice.refresh_from_db()
    assert notice.status == Notice.Status.OVERDUE


def test_template_save_creates_new_version_and_old_notice_keeps_its_own(world, case_a1, guardian_of):
    notice = issue(case_a1, world, guardian_of)
    new = services.notice_template_save(area=world.area, kind=NoticeKind.RETURN, actor=world.office,
                                        title="劝返复学通知书", body="{监护人}：请送{学生}返校。", change_note="简化")
    assert new.version == 2
    notice.refresh_from_db()
    assert notice.template.version == 1
    assert services.notice_template_current(area=world.area, kind=NoticeKind.RETURN).pk == new.pk


def test_template_save_rejects_unknown_placeholder(world):
    with pytest.raises(NoticeError) as exc:
        services.notice_template_save(area=world.area, kind=NoticeKind.RETURN, actor=world.office,
                                      title="x", body="请{家长}送{学生}返校")
    assert exc.value.field == "body" and "{家长}" in exc.value.message


def test_template_save_only_office(world):
    with pytest.raises(PermissionDenied):
        services.notice_template_save(area=world.area, kind=NoticeKind.RETURN, actor=world.principal_a,
                                      title="x", body="y")
    assert not NoticeTemplate.objects.filter(version__gt=1).exists()
