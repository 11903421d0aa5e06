import datetime
import html
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from kongchuo.models import AccessLog
from notices.models import Notice, NoticeKind, NoticeService
from notices.services import notice_check_deadlines, notice_issue, notice_record_service
from tests.notices.conftest import FIXED_NOW

pytestmark = pytest.mark.django_db

NOTICE_VIEWERS = {  # notice.view roles see notices of the cases in their scope; 办事处 only escalated ones
    "teacher_a": set(), "head_a": {"a1"}, "gradelead_a": {"a1", "a3"}, "principal_a": {"a1", "a3"},
    "principal_b": {"b1"}, "teacher_b": set(), "office": {"a1", "a3", "b1", "c1"},
    "leader": {"a1", "a3", "b1", "c1"}, "subdistrict": {"b1"}, "village": set(), "sysadmin": set(), "nobody": set(),
}


def png_bytes():
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(out, "PNG")
    return out.getvalue()


def _issue(world, case, actor, guardian_of):
    return notice_issue(case=case, actor=actor, guardian=guardian_of(case), kind=NoticeKind.RETURN, now=FIXED_NOW)


def _serve(world, notice, actor, at=FIXED_NOW):
    notice_record_service(notice=notice, actor=actor, served_at=at, method=NoticeService.Method.IN_PERSON,
                          recipient_name="家长", place="家中", deliverers="老师", now=at + datetime.timedelta(hours=1))


@pytest.fixture
def notices(world, make_case, guardian_of):
    """Notices of a1 and a3 (school A), b1 (school B, overdue → 办事处), c1 (school C)."""
    from kongchuo.models import Role
    from tests import factories as f

    principal_c = f.UserFactory(username="principal_c")
    f.RoleAssignmentFactory(user=principal_c, role=Role.SCHOOL_ADMIN, school=world.school_c)
    result = {}
    for key, actor in (("a1", world.principal_a), ("a3", world.principal_a), ("b1", world.principal_b),
                       ("c1", principal_c)):
        case = make_case(getattr(world, key), actor=actor)
        result[key] = _issue(world, case, actor, guardian_of)
    _serve(world, result["b1"], world.principal_b)
    notice_check_deadlines(now=FIXED_NOW + datetime.timedelta(days=9))
    for n in result.values():
        n.refresh_from_db()
    assert result["b1"].status == Notice.Status.OVERDUE
    return result


@pytest.mark.parametrize("name", ["detail", "pdf"])
def test_notice_urls_scope_matrix(world, notices, scope_matrix, name):
    scope_matrix(world, url_for=lambda n: reverse(f"notices:{name}", args=[n.pk]), objects=notices,
                 expected=NOTICE_VIEWERS)


def test_notice_serve_url_scope_matrix(world, notices, scope_matrix):
    issued = {k: n for k, n in notices.items() if n.status == Notice.Status.ISSUED}
    scope_matrix(world, url_for=lambda n: reverse("notices:serve", args=[n.pk]), objects=issued,
                 expected={"head_a": {"a1"}, "principal_a": {"a1", "a3"}, "gradelead_a": {"a1", "a3"},
                           "principal_b": set(), "village": set(), "nobody": set()})


def test_notice_receipt_url_scope_matrix(world, notices, scope_matrix):
    service = notices["b1"].service
    service.receipt_scan.save("r.png", SimpleUploadedFile("r.png", png_bytes()), save=True)
    scope_matrix(world, url_for=lambda n: reverse("notices:receipt", args=[n.pk]), objects={"b1": notices["b1"]},
                 expected={k: v & {"b1"} for k, v in NOTICE_VIEWERS.items()})


def test_notice_issue_url_scope_matrix(world, notices, scope_matrix):
    cases = {k: n.case for k, n in notices.items()}
    scope_matrix(world, url_for=lambda c: reverse("notices:issue", args=[c.pk]), objects=cases,
                 expected={"principal_a": {"a1", "a3"}, "principal_b": {"b1"}, "nobody": set()})


@pytest.mark.parametrize("username", ["office", "head_a", "village"])
def test_notice_issue_page_visible_case_but_not_admin_is_403(client, world, notices, username):
    client.force_login(getattr(world, username))
    assert client.get(reverse("notices:issue", args=[notices["a1"].case_id])).status_code == 403


def test_notice_cancel_url_neighbour_404(client, world, notices):
    client.force_login(world.principal_b)
    response = client.post(reverse("notices:cancel", args=[notices["a1"].pk]), {"reason": "x"})
    assert response.status_code == 404
    notices["a1"].refresh_from_db()
    assert notices["a1"].status == Notice.Status.ISSUED


def test_notice_list_shows_only_scope(client, world, notices, django_assert_max_num_queries):
    client.force_login(world.principal_a)
    with django_assert_max_num_queries(12):
        body = client.get(reverse("notices:list")).content.decode()
    assert notices["a1"].number in body and notices["a3"].number in body
    assert notices["b1"].number not in body


def test_notice_list_query_count_constant(client, world, notices, make_case, guardian_of,
                                          django_assert_max_num_queries):
    client.force_login(world.office)
    with django_assert_max_num_queries(12):
        client.get(reverse("notices:list"))
    for student in (world.a2, world.a4):
        _issue(world, make_case(student), world.principal_a, guardian_of)
    with django_assert_max_num_queries(12):
        body = client.get(reverse("notices:list")).content.decode()
    assert body.count("data-notice=") == 6


def test_notice_list_overdue_filter_for_subdistrict(client, world, notices):
    client.force_login(world.subdistrict)
    body = client.get(reverse("notices:list") + "?overdue=1").content.decode()
    assert notices["b1"].number in body and "逾期" in body


def test_nav_points_to_notice_list(client, world, notices):
    client.force_login(world.principal_a)
    assert reverse("notices:list") in client.get(reverse("workbench")).content.decode()


def test_notice_detail_preview_escapes_names(client, world, make_case, guardian_of):
    from tests import factories as f

    case = make_case(world.a2, guardian=False)
    f.FamilyMemberFactory(student=world.a2, name='<script>alert("x")</script>', relation="父亲")
    notice = _issue(world, case, world.principal_a, guardian_of)
    client.force_login(world.principal_a)
    body = client.get(reverse("notices:detail", args=[notice.pk])).content.decode()
    assert "<script>alert" not in body
    inner = html.unescape(re.search(r'srcdoc="([^"]*)"', body).group(1))  # the previewed document
    assert "<script>alert" not in inner
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in inner


def test_notice_issue_post_creates_notice(client, world, make_case):
    case = make_case(world.a2)
    guardian = case.student.family_members.get()
    client.force_login(world.principal_a)
    response = client.post(reverse("notices:issue", args=[case.pk]), {
        "kind": NoticeKind.RETURN, "guardian": guardian.pk, "dropout_date": "2026-09-01", "red_header": "on"})
    notice = Notice.objects.get(case=case)
    assert response.status_code == 302 and response["Location"] == reverse("notices:detail", args=[notice.pk])
    assert notice.red_header and notice.content["dropout_date"] == "2026-09-01"


def test_notice_issue_page_without_guardian_shows_message(client, world, make_case):
    case = make_case(world.a2, guardian=False)
    client.force_login(world.principal_a)
    body = client.get(reverse("notices:issue", args=[case.pk])).content.decode()
    assert "没有登记法定监护人" in body


def test_notice_issue_future_dropout_date_error_names_field(client, world, make_case):
    case = make_case(world.a2)
    client.force_login(world.principal_a)
    response = client.post(reverse("notices:issue", args=[case.pk]), {
        "kind": NoticeKind.RETURN, "guardian": case.student.family_members.get().pk, "dropout_date": "2099-01-01"})
    assert response.status_code == 400 and "不能晚于今天" in response.content.decode()
    assert not Notice.objects.filter(case=case).exists()


def _serve_post(client, notice, **extra):
    data = {"served_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "method": "in_person",
            "recipient_name": "张父", "recipient_relation": "父亲", "place": "胡洼村", "deliverers": "周敏",
            "expected_status": "issued"}
    data.update(extra)
    return client.post(reverse("notices:serve", args=[notice.pk]), data)


def test_notice_serve_with_receipt_photo(client, world, notices):
    client.force_login(world.head_a)
    photo = SimpleUploadedFile("回证.png", png_bytes(), content_type="image/png")
    response = _serve_post(client, notices["a1"], receipt_scan=photo)
    assert response.status_code == 302
    notice = Notice.objects.get(pk=notices["a1"].pk)
    assert notice.status == Notice.Status.SERVED and notice.service.receipt_scan.name.endswith(".png")
    assert notice.case.status == "notice_served"


@pytest.mark.parametrize("name,content,message", [
    ("回证.exe", b"MZ...", "只能上传 JPG、PNG 图片或 PDF"),
    ("回证.png", b"not an image", "无法识别"),
    ("回证.pdf", b"hello", "不是有效的 PDF"),
])
def test_notice_serve_bad_receipt_rejected_with_field_message(client, world, notices, name, content, message):
    client.force_login(world.principal_a)
    response = _serve_post(client, notices["a1"], receipt_scan=SimpleUploadedFile(name, content))
    assert response.status_code == 400 and message in response.content.decode()
    assert Notice.objects.get(pk=notices["a1"].pk).status == Notice.Status.ISSUED


def test_notice_serve_too_big_receipt_rejected(client, world, notices, settings):
    settings.KONGCHUO = {**settings.KONGCHUO, "NOTICE_RECEIPT_MAX_BYTES": 1000}
    client.force_login(world.principal_a)
    response = _serve_post(client, notices["a1"], receipt_scan=SimpleUploadedFile("r.png", png_bytes() + b"0" * 2000))
    assert response.status_code == 400 and "不能超过" in response.content.decode()


def test_notice_cancel_post(client, world, notices):
    client.force_login(world.principal_a)
    client.post(reverse("notices:cancel", args=[notices["a1"].pk]), {"reason": "姓名有误", "expected_status": "issued"})
    notice = Notice.objects.get(pk=notices["a1"].pk)
    assert notice.status == Notice.Status.CANCELLED and notice.cancel_reason == "姓名有误"


def test_notice_cancel_by_head_teacher_forbidden(client, world, notices):
    client.force_login(world.head_a)
    assert client.post(reverse("notices:cancel", args=[notices["a1"].pk]), {"reason": "x"}).status_code == 403


def test_notice_pdf_download_is_logged(client, world, notices):
    client.force_login(world.principal_a)
    response = client.get(reverse("notices:pdf", args=[notices["a1"].pk]) + "?download=1")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-") and "attachment" in response["Content-Disposition"]
    log = AccessLog.objects.get(action=AccessLog.Action.PRINT, object_id=str(notices["a1"].pk))
    assert log.user == world.principal_a and log.object_type == "notices.Notice"


def test_notice_pdf_reprint_same_bytes(client, world, notices):
    client.force_login(world.principal_a)
    url = reverse("notices:pdf", args=[notices["a1"].pk])
    assert client.get(url).content == client.get(url).content
    assert AccessLog.objects.filter(action=AccessLog.Action.PRINT).count() == 2


def test_notice_batch_pdf_only_scope_and_logged(client, world, notices):
    import pikepdf

    client.force_login(world.principal_a)
    response = client.get(reverse("notices:batch_pdf"))
    assert response.status_code == 200
    pdf = pikepdf.open(io.BytesIO(response.content))
    assert len(pdf.pages) == 4  # a1 and a3, a page pair each
    log = AccessLog.objects.get(action=AccessLog.Action.PRINT, purpose="批量打印通知书")
    assert notices["a1"].number in log.detail and notices["b1"].number not in log.detail


def test_notice_batch_pdf_filter_by_school_for_office(client, world, notices):
    import pikepdf

    client.force_login(world.office)
    response = client.get(reverse("notices:batch_pdf") + f"?school={world.school_b.pk}")
    assert len(pikepdf.open(io.BytesIO(response.content)).pages) == 2


def test_notice_batch_pdf_nothing_redirects_with_message(client, world, notices):
    client.force_login(world.principal_a)
    response = client.get(reverse("notices:batch_pdf") + "?status=returned", follow=True)
    assert "没有符合条件的通知书" in response.content.decode()


def test_template_edit_by_office_creates_version(client, world):
    client.force_login(world.office)
    assert client.get(reverse("notices:templates")).status_code == 200
    response = client.post(reverse("notices:template_edit", args=["return"]), {
        "title": "劝返复学通知书", "body": "{监护人}：请于{期限天数}日内送{学生}返校。", "change_note": "测试"})
    assert response.status_code == 302
    from notices.models import NoticeTemplate

    assert NoticeTemplate.objects.get(area=world.area, kind="return", version=2).change_note == "测试"


def test_template_pages_forbidden_for_principal(client, world):
    client.force_login(world.principal_a)
    assert client.get(reverse("notices:templates")).status_code == 403


def test_workbench_panel_counts_notices(client, world, notices):
    client.force_login(world.principal_a)
    response = client.get(reverse("workbench"))
    panel = next(p for p in response.context["panels"] if p["title"] == "劝返通知书")
    assert dict(panel["rows"])["待送达"] == 2


def test_case_detail_shows_notices_section_with_issue_button(client, world, make_case, notices):
    fresh = make_case(world.a2)
    client.force_login(world.principal_a)
    body = client.get(reverse("cases:detail", args=[fresh.pk])).content.decode()
    assert reverse("notices:issue", args=[fresh.pk]) in body and "劝返通知书" in body
    body = client.get(reverse("cases:detail", args=[notices["a1"].case_id])).content.decode()
    assert notices["a1"].number in body and reverse("notices:issue", args=[notices["a1"].case_id]) not in body


def test_case_detail_notices_section_hidden_for_teacher(client, world, notices):
    client.force_login(world.teacher_a)
    response = client.get(reverse("cases:detail", args=[notices["a1"].case_id]))
    body = response.content.decode()
    assert response.status_code == 200 and 'id="notices"' not in body  # the timeline still names the notice
    assert reverse("notices:detail", args=[notices["a1"].pk]) not in body
