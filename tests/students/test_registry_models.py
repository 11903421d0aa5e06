"""Invariants the database and models keep on their own."""
from datetime import date

import pytest
from django.db import IntegrityError, transaction

from students.models import Enrolment, StatusChange, TransferConfirmation, VulnerabilityFlag
from tests import factories as f


def test_one_active_flag_per_kind_enforced_by_database(world):
    VulnerabilityFlag.objects.create(student=world.a1, kind="orphan", start_date=date(2026, 9, 1), source="school")
    with pytest.raises(IntegrityError), transaction.atomic():
        VulnerabilityFlag.objects.create(student=world.a1, kind="orphan", start_date=date(2026, 9, 2), source="school")
    VulnerabilityFlag.objects.create(student=world.a1, kind="orphan", start_date=date(2026, 1, 1),
                                     end_date=date(2026, 2, 1), source="school")  # ended ones may repeat


def test_flag_end_before_start_refused_by_database(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        VulnerabilityFlag.objects.create(student=world.a1, kind="orphan", start_date=date(2026, 9, 1),
                                         end_date=date(2026, 8, 1), source="school")


def test_one_open_enrolment_per_student(world):
    Enrolment.objects.create(student=world.a1, school_year=world.year, school=world.school_a, start_date=date(2026, 9, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Enrolment.objects.create(student=world.a1, school_year=world.year, school=world.school_b,
                                 start_date=date(2026, 9, 2))


def test_transfer_confirmation_is_append_only(world):
    change = StatusChange.objects.create(student=world.a1, kind="transfer_out", date=date(2026, 10, 1), reason="x",
                                         status_before="enrolled", status_after="transfer_pending")
    confirmation = TransferConfirmation.objects.create(status_change=change, receiving_school_name="某校",
                                                       received_date=date(2026, 10, 2))
    with pytest.raises(PermissionError):
        confirmation.save()
    with pytest.raises(PermissionError):
        confirmation.delete()


def test_labels_are_chinese(world):
    flag = VulnerabilityFlag(student=world.a1, kind="disabled", disability_type="hearing", start_date=date(2026, 9, 1),
                             source="disabled_fed")
    assert flag.label == "学生残疾（听力）" and str(flag) == "张保杰：学生残疾"
    assert VulnerabilityFlag._meta.verbose_name == "重点关注标记" and StatusChange._meta.verbose_name == "学籍异动"


def test_student_fill_uses_surname_table_on_factory_save(db):
    assert f.StudentFactory(name="查俊杰").name_initials == "zjj"


def test_admin_holds_no_students_and_no_status_changes(client, world):
    # issue 9: children's data is not in the admin of the configuration role at all (kongchuo.privacy)
    client.force_login(world.sysadmin)
    response = client.get("/admin/students/student/")
    assert response.status_code == 404 and "张保杰" not in response.content.decode()
    assert client.get(f"/admin/students/student/{world.a1.pk}/change/").status_code == 404
    assert client.get("/admin/students/statuschange/add/").status_code == 404
