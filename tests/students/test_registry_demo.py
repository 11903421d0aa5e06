"""The demo shows the registry: tricky surnames, a household, flags, 异动 (转出待确认, 休学 with proof), 包保."""
from django.core.management import call_command

from students.models import (
    CareAssignment, Enrolment, FamilyMember, OfficeSchoolLiaison, StatusChange, StatusChangeDocument, Student,
    VulnerabilityFlag,
)
from students import selectors


def _counts():
    return tuple(m.objects.count() for m in (Student, FamilyMember, VulnerabilityFlag, StatusChange,
                                             StatusChangeDocument, CareAssignment, OfficeSchoolLiaison, Enrolment))


def test_seed_demo_registry_data_is_idempotent_and_complete(db):
    call_command("seed_demo", students=60, stdout=open("/dev/null", "w"))
    first = _counts()
    call_command("seed_demo", students=60, stdout=open("/dev/null", "w"))
    assert _counts() == first
    zeng = Student.objects.get(name="曾子涵")
    assert zeng.name_pinyin == "zengzihan" and Student.objects.get(name="单明哲").name_initials == "smz"
    assert Student.objects.filter(status=Student.Status.TRANSFER_PENDING).exists()
    suspended = StatusChange.objects.get(kind="suspend")
    assert suspended.documents.exists() and suspended.expected_return_date
    assert StatusChange.objects.filter(kind="transfer_out", confirmation__isnull=False).exists()
    assert VulnerabilityFlag.objects.filter(end_date__isnull=True).count() >= 8
    assert OfficeSchoolLiaison.objects.filter(is_active=True).exists()
    from kongchuo.models import User

    siblings = selectors.siblings_of(zeng, User.objects.get(username="demo_principal"))
    assert [s.name for s, visible in siblings] == ["曾雨桐"] and siblings[0][1]
    assert not Student.objects.filter(name_pinyin="").exists() and not Student.objects.filter(id_last4="").exists()
