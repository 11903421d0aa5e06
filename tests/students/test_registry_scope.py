"""Scope matrix for every registry URL (world fixture): own visible, neighbour 404; visible but not allowed 403."""
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from kongchuo import access
from students import services
from students.models import CareAssignment
from tests import factories as f
from tests.conftest import ALL_STUDENTS, STUDENT_SCOPE
from tests.hostile.files import tiny_pdf

PERSONAS = sorted(STUDENT_SCOPE)
SCHOOL_SCOPE = {  # same as the org:school_detail matrix; 村干部 sees no school, 系统管理员 no student data (403)
    "teacher_a": {"A"}, "head_a": {"A"}, "gradelead_a": {"A"}, "principal_a": {"A"}, "principal_b": {"B"},
    "teacher_b": {"B"}, "office": {"A", "B", "C"}, "leader": {"A", "B", "C"}, "subdistrict": {"A", "B"},
    "village": set(), "sysadmin": set(), "nobody": set(),
}


def check_matrix(client, world, *, url_for, objects, action=None, owner=lambda o: o, method="get", data=None,
                 ok=200, scope=STUDENT_SCOPE):
    """Out of scope → 404; in scope → `ok` if `access.can(user, action, owner(obj))`, else 403."""
    failures = []
    for username in PERSONAS:
        user = getattr(world, username)
        client.force_login(user)
        for key, obj in (objects() if callable(objects) else objects).items():  # callable: fresh rows per persona
            response = getattr(client, method)(url_for(obj), data or {})
            if key not in scope[username]:
                want = 404
            else:
                user._kc_scope = None
                want = ok if action is None or access.can(user, action, owner(obj)) else 403
            if response.status_code != want:
                failures.append(f"{username} → {key}: {response.status_code}, expected {want}")
        client.logout()
    assert not failures, "scope matrix failures:\n" + "\n".join(failures)


def students_of(world):
    return {key: getattr(world, key) for key in ALL_STUDENTS}


def test_detail_scope_matrix(world, scope_matrix):
    scope_matrix(world, url_for=lambda s: reverse("students:detail", args=[s.pk]), objects=students_of(world),
                 expected=STUDENT_SCOPE)


@pytest.mark.parametrize("name,action", [
    ("students:edit", "student.edit"), ("students:family_add", "student.edit"), ("students:flag_add", "student.flag"),
    ("students:status_change", "student.status_change"), ("students:care_assign", "student.assign_care"),
])
def test_student_action_pages_scope_matrix(client, world, name, action):
    check_matrix(client, world, url_for=lambda s: reverse(name, args=[s.pk]), objects=students_of(world),
                 action=action)


def test_unmask_scope_matrix(client, world):
    check_matrix(client, world, url_for=lambda s: reverse("students:unmask", args=[s.pk]), objects=students_of(world),
                 action="student.unmask", method="post", data={"target": "student_id", "purpose": ""}, ok=400)


def test_family_member_pages_scope_matrix(client, world):
    members = {key: f.FamilyMemberFactory(student=s) for key, s in students_of(world).items()}
    check_matrix(client, world, url_for=lambda m: reverse("students:family_edit", args=[m.student_id, m.pk]),
                 objects=members, action="student.edit", owner=lambda m: m.student)
    check_matrix(client, world, url_for=lambda m: reverse("students:family_remove", args=[m.student_id, m.pk]),
                 objects=lambda: {k: f.FamilyMemberFactory(student=getattr(world, k)) for k in ("a2", "b1", "d1")},
                 action="student.edit",
                 owner=lambda m: m.student, method="post", ok=302)


def test_family_member_of_other_student_is_404_under_own_student(client, world):
    member = f.FamilyMemberFactory(student=world.b1)
    client.force_login(world.principal_a)
    assert client.get(reverse("students:family_edit", args=[world.a1.pk, member.pk])).status_code == 404


def test_flag_end_scope_matrix(client, world):
    flags = {key: services.flag_set(actor=None, student=s, kind="orphan", start_date=date(2026, 9, 1), source="school")
             for key, s in students_of(world).items()}
    check_matrix(client, world, url_for=lambda fl: reverse("students:flag_end", args=[fl.student_id, fl.pk]),
                 objects=flags, action="student.flag", owner=lambda fl: fl.student)


def test_transfer_confirm_and_document_scope_matrix(client, world):
    changes = {}
    for key, s in students_of(world).items():
        changes[key] = services.status_change_record(
            actor=None, student=s, kind="transfer_out", date=timezone.localdate() - timedelta(days=2), reason="随迁",
            documents=[SimpleUploadedFile("联系函.pdf", tiny_pdf())])
    check_matrix(client, world, url_for=lambda c: reverse("students:transfer_confirm", args=[c.student_id, c.pk]),
                 objects=changes, action="student.status_change", owner=lambda c: c.student)
    docs = {key: c.documents.get() for key, c in changes.items()}
    check_matrix(client, world, url_for=lambda d: reverse("students:document", args=[d.pk]), objects=docs,
                 action="student.documents", owner=lambda d: d.status_change.student)


def test_care_end_scope_matrix(client, world):
    def cares():  # a fresh assignment by another teacher each time: ending it never changes anyone's scope
        return {key: CareAssignment.objects.create(student=getattr(world, key), teacher=f.UserFactory())
                for key in ("a2", "b1", "d1")}

    check_matrix(client, world, url_for=lambda c: reverse("students:care_end", args=[c.student_id, c.pk]),
                 objects=cares, action="student.assign_care", owner=lambda c: c.student, method="post", ok=302)


@pytest.mark.parametrize("name", ["students:school_unassigned", "students:school_priority", "students:school_chain"])
def test_school_pages_scope_matrix(client, world, name):
    schools = {"A": world.school_a, "B": world.school_b, "C": world.school_c, "D": world.school_d}
    failures = []
    for username in PERSONAS:
        user = getattr(world, username)
        client.force_login(user)
        for key, school in schools.items():
            status = client.get(reverse(name, args=[school.pk])).status_code
            want = 403 if not access.can(user, "student.view") else (200 if key in SCHOOL_SCOPE[username] else 404)
            if status != want:
                failures.append(f"{username} → {key}: {status}, expected {want}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("name,action", [
    ("students:list", "student.view"), ("students:create", "student.create"),
    ("students:transfer_in", "student.status_change"), ("students:care_bulk", "student.assign_care"),
])
def test_pages_without_object_answer_403_without_the_right(client, world, name, action):
    for username in PERSONAS:
        user = getattr(world, username)
        client.force_login(user)
        status = client.get(reverse(name)).status_code
        assert status == (200 if access.can(user, action) else 403), f"{username}: {status}"


@pytest.mark.parametrize("username", PERSONAS)
def test_list_shows_exactly_the_scope(client, world, username):
    user = getattr(world, username)
    client.force_login(user)
    response = client.get(reverse("students:list"))
    if not access.can(user, "student.view"):
        assert response.status_code == 403
        return
    shown = {s.pk for s in response.context["page"]}
    assert shown == {getattr(world, key).pk for key in STUDENT_SCOPE[username]}


def test_document_of_neighbour_not_reachable_by_guessing(client, world):
    change = services.status_change_record(actor=None, student=world.b1, kind="death", date=timezone.localdate(),
                                           reason="病故", documents=[SimpleUploadedFile("证明.pdf", tiny_pdf())])
    client.force_login(world.principal_a)
    doc = change.documents.get()
    assert client.get(reverse("students:document", args=[doc.pk])).status_code == 404
    assert client.get(reverse("students:transfer_confirm", args=[world.a1.pk, change.pk])).status_code == 404


def test_school_pages_query_count_constant(client, world, django_assert_max_num_queries):
    for i in range(30):
        s = f.StudentFactory(school_class=world.class_a32, village=world.v1b)
        services.flag_set(actor=None, student=s, kind="migrant", start_date=date(2026, 9, 1), source="school")
    client.force_login(world.principal_a)
    for name in ("students:school_unassigned", "students:school_priority", "students:school_chain"):
        with django_assert_max_num_queries(16):
            assert client.get(reverse(name, args=[world.school_a.pk])).status_code == 200
