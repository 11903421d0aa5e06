"""Serving stored uploads: the type comes from the stored bytes, never text/html or SVG (even for rows stored before
the upload layer), nosniff everywhere, inline only for images and PDFs."""
import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from cases.models import Exemption, SessionPhoto, VisitPhoto
from kongchuo.serving import served_type
from students.models import StatusChangeDocument
from tests.cases.test_views import scoped  # noqa: F401  (fixture: one case per student with files)
from tests.hostile.files import HTML, SVG, good_jpeg, good_png, tiny_pdf


def _served(client, url):
    response = client.get(url)
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    return response, body


def _assert_safe(response):
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    assert "html" not in response["Content-Type"] and "svg" not in response["Content-Type"]


@pytest.mark.parametrize("content,expected,disposition", [
    (HTML, "application/octet-stream", "attachment"),
    (SVG, "application/octet-stream", "attachment"),
    (b"MZ\x90\x00", "application/octet-stream", "attachment"),
    (None, "image/jpeg", "inline"),
    (b"pdf", "application/pdf", "inline"),
])
def test_legacy_closure_evidence_is_served_by_its_content(client, world, scoped, content, expected,  # noqa: F811
                                                          disposition):
    """销号 evidence stored before the layer existed (it accepted anything): an .html file goes out as a download."""
    closure = scoped.closures["a1"]
    data = good_jpeg((60, 40)) if content is None else tiny_pdf() if content == b"pdf" else content
    closure.evidence_file.save("evidence.html", ContentFile(data), save=True)
    client.force_login(world.office)
    response, body = _served(client, reverse("cases:closure_file", args=[closure.pk]))
    _assert_safe(response)
    assert response["Content-Type"] == expected and body == data
    assert response["Content-Disposition"].startswith(disposition)
    if disposition == "attachment":
        assert "sandbox" in response["Content-Security-Policy"]


@pytest.mark.parametrize("view", ["visit_photo", "session_photo", "exemption_application", "exemption_assessment",
                                  "status_document", "receipt", "work_plan"])
def test_every_file_view_refuses_to_serve_html_inline(client, world, scoped, view):  # noqa: F811
    """Whatever a row holds, every serving view decides the type from the bytes."""
    if view == "visit_photo":
        row = VisitPhoto.objects.get(pk=scoped.visit_photos["a1"].pk)
        row.image.save("x.jpg", ContentFile(HTML), save=True)
        url, user = reverse("cases:visit_photo", args=[row.pk]), world.principal_a
    elif view == "session_photo":
        row = SessionPhoto.objects.get(pk=scoped.session_photos["a1"].pk)
        row.image.save("x.jpg", ContentFile(SVG), save=True)
        url, user = reverse("cases:session_photo", args=[row.pk]), world.principal_a
    elif view.startswith("exemption"):
        which = view.split("_")[1]
        row = Exemption.objects.get(pk=scoped.exemptions["a1"].pk)
        getattr(row, f"{which}_file").save("x.pdf", ContentFile(HTML), save=True)
        url, user = reverse("cases:exemption_file", args=[row.pk, which]), world.office
    elif view == "status_document":
        from students import services
        from datetime import timedelta
        from django.utils import timezone
        from django.core.files.uploadedfile import SimpleUploadedFile

        change = services.status_change_record(
            actor=world.principal_a, student=world.a1, kind="suspend", date=timezone.localdate(), reason="住院",
            expected_return_date=timezone.localdate() + timedelta(days=30),
            documents=[SimpleUploadedFile("证明.png", good_png((40, 30)))])
        row = change.documents.get()
        from django.core.files.storage import default_storage

        legacy = default_storage.save("status_documents/legacy.html", ContentFile(HTML))
        StatusChangeDocument.objects.filter(pk=row.pk).update(content_type="text/html", file=legacy)  # legacy row
        url, user = reverse("students:document", args=[row.pk]), world.principal_a
    elif view == "receipt":
        from notices.models import NoticeKind, NoticeService
        from notices.services import notice_issue
        from cases.services import case_transition, visit_log
        from cases.models import Case
        from tests import factories as f
        from django.utils import timezone
        import datetime

        f.FamilyMemberFactory(student=world.b1, name="孙父", relation="父亲")
        case = scoped.cases["b1"]
        case_transition(case=case, to_status=Case.Status.PERSUADING, actor=world.principal_b, reason="劝返")
        for d in (20, 10):
            visit_log(student=world.b1, case=case, actor=world.principal_b, mode="home", people_met="父亲",
                      visit_date=timezone.localdate() - datetime.timedelta(days=d), findings="x",
                      guardian_attitude="opposed")
        notice = notice_issue(case=case, actor=world.principal_b, kind=NoticeKind.RETURN,
                              guardian=world.b1.family_members.get(),
                              dropout_date=timezone.localdate() - datetime.timedelta(days=60))
        service = NoticeService.objects.create(notice=notice, served_at=timezone.now(), method="in_person",
                                               recipient_name="孙父", place="家", deliverers="老师",
                                               recorded_by=world.principal_b)
        service.receipt_scan.save("r.png", ContentFile(SVG), save=True)
        url, user = reverse("notices:receipt", args=[notice.pk]), world.principal_b
    else:
        world.school_a.work_plan.save("plan.pdf", ContentFile(HTML), save=True)
        url, user = reverse("org:school_work_plan", args=[world.school_a.pk]), world.principal_a
    client.force_login(user)
    response, body = _served(client, url)
    _assert_safe(response)
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")


def test_good_files_served_with_their_verified_type(client, world, scoped):  # noqa: F811
    photo = VisitPhoto.objects.get(pk=scoped.visit_photos["a1"].pk)
    photo.image.save("v.jpg", ContentFile(good_jpeg((60, 40))), save=True)
    client.force_login(world.principal_a)
    response, _ = _served(client, reverse("cases:visit_photo", args=[photo.pk]))
    _assert_safe(response)
    assert response["Content-Type"] == "image/jpeg" and response["Content-Disposition"].startswith("inline")
    world.school_a.work_plan.save("plan.pdf", ContentFile(tiny_pdf()), save=True)
    response, _ = _served(client, reverse("org:school_work_plan", args=[world.school_a.pk]))
    assert response["Content-Type"] == "application/pdf" and response["Content-Disposition"].startswith("attachment")
    assert "filename*=UTF-8''" in response["Content-Disposition"]


@pytest.mark.parametrize("head,name,expected", [
    (b"\xff\xd8\xff\xe0", "a", ("image/jpeg", True)), (b"\x89PNG\r\n\x1a\n", "a", ("image/png", True)),
    (b"%PDF-1.7", "a", ("application/pdf", True)), (b"<svg", "a.svg", ("application/octet-stream", False)),
    (b"<html>", "a.jpg", ("application/octet-stream", False)), (b"", "a.pdf", ("application/octet-stream", False)),
    (b"PK\x03\x04", "plan.docx", ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", False)),
])
def test_served_type_from_first_bytes(head, name, expected):
    assert served_type(head, name=name) == expected
