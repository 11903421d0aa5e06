"""One rule for sensitive documents (kongchuo.access "document.view_sensitive"): every persona × every URL that
serves a medical, disability or family document. Outside the scope → 404; inside without the role → 403."""
import datetime

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, CaseClosure, Exemption
from cases.services import case_open
from kongchuo import access
from kongchuo.models import Role
from students import services as student_services
from tests.conftest import STUDENT_SCOPE
from tests.hostile.files import tiny_pdf

PDF = tiny_pdf()  # a real one-page PDF: the upload layer parses every PDF it stores
KEYS = ("a1", "b1", "c1", "d1")
# The personas whose role may open sensitive documents (班主任, 校领导, 校长, 教育办, 办事处, 村干部) — written out
# here, not read from access.py, so that a change of the rule shows up as a failing test.
MAY_OPEN = {"head_a", "gradelead_a", "principal_a", "principal_b", "office", "subdistrict", "village"}
REFUSED = {"teacher_a", "teacher_b", "leader", "sysadmin", "nobody"}


@pytest.fixture
def documents(world):
    docs = {}
    for key in KEYS:
        student = getattr(world, key)
        change = student_services.status_change_record(
            actor=None, student=student, kind="suspend", date=timezone.localdate(), reason="住院治疗",
            expected_return_date=timezone.localdate() + datetime.timedelta(days=30),
            documents=[SimpleUploadedFile("诊断证明.pdf", PDF)])
        exemption = Exemption.objects.create(
            student=student, kind="deferral", reason="急性白血病", guardian_name="父", assessment_kind="hospital",
            application_file=ContentFile(PDF, name="a.pdf"), assessment_file=ContentFile(PDF, name="b.pdf"),
            start_date=datetime.date(2026, 10, 1), end_date=datetime.date(2027, 3, 1), applied_by=world.sysadmin)
        docs[key] = {
            "学籍异动证明材料": reverse("students:document", args=[change.documents.get().pk]),
            "缓学申请": reverse("cases:exemption_file", args=[exemption.pk, "application"]),
            "诊断证明": reverse("cases:exemption_file", args=[exemption.pk, "assessment"]),
        }
    return docs


def test_personas_cover_every_role():
    assert MAY_OPEN | REFUSED == set(STUDENT_SCOPE)
    assert access.SENSITIVE_DOCUMENT_ROLES == {Role.HEAD_TEACHER, Role.GRADE_LEADER, Role.SCHOOL_ADMIN,
                                               Role.OFFICE_STAFF, Role.SUBDISTRICT_STAFF, Role.VILLAGE_CADRE}


def test_sensitive_documents_every_role_every_url(client, world, documents):
    failures, checked = [], 0
    for username in sorted(STUDENT_SCOPE):
        client.force_login(getattr(world, username))
        for key, urls in documents.items():
            for label, url in urls.items():
                if key not in STUDENT_SCOPE[username]:
                    want = 404
                else:
                    want = 200 if username in MAY_OPEN else 403
                got = client.get(url).status_code
                checked += 1
                if got != want:
                    failures.append(f"{username} → {key} {label}: {got}, expected {want}")
        client.logout()
    assert not failures, "\n".join(failures)
    assert checked == len(STUDENT_SCOPE) * len(KEYS) * 3


def test_teacher_sees_the_exemption_but_not_its_diagnosis(client, world, documents):
    exemption = Exemption.objects.get(student=world.a1)
    client.force_login(world.teacher_a)
    page = client.get(reverse("cases:exemption_detail", args=[exemption.pk])).content.decode()
    assert "仅审批和建档的角色可查看" in page and reverse("cases:exemption_file", args=[exemption.pk, "assessment"]) \
        not in page
    assert client.get(documents["a1"]["诊断证明"]).status_code == 403
    client.force_login(world.head_a)
    page = client.get(reverse("cases:exemption_detail", args=[exemption.pk])).content.decode()
    assert reverse("cases:exemption_file", args=[exemption.pk, "assessment"]) in page


def test_closure_evidence_follows_the_case_not_the_sensitive_rule(client, world):
    """销号 evidence proves attendance: whoever sees the case (the teacher who 包保 the child too) opens it."""
    case = case_open(student=world.a1, trigger=Case.Trigger.TEACHER_REPORT, actor=None, system=True)
    closure = CaseClosure.objects.create(case=case, requested_by=world.principal_a, attended_days=20,
                                         evidence_note="考勤表", evidence_file=ContentFile(PDF, name="e.pdf"))
    client.force_login(world.teacher_a)
    assert client.get(reverse("cases:closure_file", args=[closure.pk])).status_code == 200
    client.force_login(world.teacher_b)
    assert client.get(reverse("cases:closure_file", args=[closure.pk])).status_code == 404
