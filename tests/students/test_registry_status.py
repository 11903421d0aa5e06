"""学籍异动: transition table, proof uploads, append-only history, 转出待确认 → 确认, 转入 across schools."""
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from students import services
from students.models import Enrolment, StatusChange, StatusChangeDocument, Student, TransferConfirmation
from students.uploads import MAX_PROOF_BYTES
from tests import factories as f
from tests.hostile.files import good_jpeg, good_png, tiny_pdf

S, K = Student.Status, StatusChange.Kind
PDF = tiny_pdf()  # a real PDF: uploads are parsed
PNG = good_png((40, 30))


def pdf(name="诊断证明.pdf", body=PDF):
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def day(n=0):
    return timezone.localdate() - timedelta(days=n)


def record(world, student, kind, **kw):
    kw.setdefault("date", day(5))
    kw.setdefault("reason", "测试原因")
    return services.status_change_record(actor=world.principal_a, student=student, kind=kind, **kw)


def test_suspend_needs_proof_and_expected_return_and_moves_status(world):
    with pytest.raises(ValidationError) as exc:
        record(world, world.a1, K.SUSPEND)
    errors = exc.value.message_dict
    assert "休学须上传证明材料" in errors["documents"][0] and "预计复学日期" in errors["expected_return_date"][0]
    world.a1.refresh_from_db()
    assert world.a1.status == S.ENROLLED and not StatusChange.objects.exists()
    change = record(world, world.a1, K.SUSPEND, documents=[pdf()], expected_return_date=day(-90))
    world.a1.refresh_from_db()
    assert world.a1.status == S.SUSPENDED and change.status_before == S.ENROLLED
    doc = change.documents.get()
    assert doc.original_name == "诊断证明.pdf" and doc.content_type == "application/pdf" and doc.size == len(PDF)


@pytest.mark.parametrize("upload,message", [
    (SimpleUploadedFile("证明.docx", b"PK\x03\x04", content_type="application/msword"), "类型不支持：只能上传 PDF、JPG、PNG"),
    (SimpleUploadedFile("证明.pdf", b"MZ\x90\x00fake", content_type="application/pdf"), "不是有效的 PDF 文件"),
    (SimpleUploadedFile("证明.png", PDF, content_type="image/png"), "不是有效的 PNG 文件"),
    (SimpleUploadedFile("大文件.pdf", b"%PDF-" + b"0" * MAX_PROOF_BYTES, content_type="application/pdf"), "超过 10 MB 上限"),
    (SimpleUploadedFile("空.jpg", b"", content_type="image/jpeg"), "是空文件"),
])
def test_proof_upload_type_size_and_content_checked_nothing_saved(world, upload, message):
    with pytest.raises(ValidationError) as exc:
        record(world, world.a1, K.SUSPEND, documents=[upload], expected_return_date=day(-30))
    assert message in " ".join(exc.value.message_dict["documents"])
    assert not StatusChange.objects.exists() and not StatusChangeDocument.objects.exists()
    world.a1.refresh_from_db()
    assert world.a1.status == S.ENROLLED


def test_png_and_jpg_proofs_are_accepted(world):
    jpg = SimpleUploadedFile("a.JPG", good_jpeg((40, 30)), content_type="image/jpeg")
    png = SimpleUploadedFile("b.png", PNG, content_type="image/png")
    change = record(world, world.a1, K.DEATH, documents=[jpg, png])
    assert sorted(change.documents.values_list("content_type", flat=True)) == ["image/jpeg", "image/png"]


def test_transfer_out_stays_pending_until_receiving_school_confirmed(world):
    services.enrolment_sync(student=world.a1, on=day(30))
    change = record(world, world.a1, K.TRANSFER_OUT, other_school_name="郑州市第一小学")
    world.a1.refresh_from_db()
    assert world.a1.status == S.TRANSFER_PENDING and world.a1.is_on_roll
    assert Enrolment.objects.get(student=world.a1).end_date is None  # still on the roster
    with pytest.raises(ValidationError) as exc:
        services.transfer_confirm(actor=world.principal_a, change=change, received_date=day(1))
    assert "请填写接收学校" in exc.value.message_dict["receiving_school_name"][0]
    services.transfer_confirm(actor=world.principal_a, change=change, received_date=day(1),
                              receiving_school_name="郑州市第一小学")
    world.a1.refresh_from_db()
    assert world.a1.status == S.TRANSFERRED
    assert Enrolment.objects.get(student=world.a1).end_date == day(1)
    with pytest.raises(ValidationError, match="已确认"):
        services.transfer_confirm(actor=world.principal_a, change=change, received_date=day(1),
                                  receiving_school_name="x")


def test_transfer_confirm_date_cannot_precede_transfer(world):
    change = record(world, world.a1, K.TRANSFER_OUT)
    with pytest.raises(ValidationError) as exc:
        services.transfer_confirm(actor=world.principal_a, change=change, received_date=day(9),
                                  receiving_school_name="某校")
    assert "不能早于转出日期" in exc.value.message_dict["received_date"][0]


def test_transfer_in_by_receiving_school_moves_student_and_confirms_pending(world):
    out = record(world, world.a1, K.TRANSFER_OUT, to_school=world.school_b)
    change = services.transfer_in(actor=world.principal_b, school_class=world.class_b31, date=day(2),
                                  reason="家长申请转入", id_number=world.a1.id_number, name=world.a1.name)
    world.a1.refresh_from_db()
    assert (world.a1.school, world.a1.school_class, world.a1.status) == (world.school_b, world.class_b31, S.ENROLLED)
    assert change.from_school == world.school_a and change.kind == K.TRANSFER_IN
    assert TransferConfirmation.objects.get(status_change=out).receiving_school == world.school_b
    assert world.a1 in Student.objects.visible_to(world.principal_b)
    assert world.a1 not in Student.objects.visible_to(world.principal_a)


def test_transfer_in_refused_while_student_on_another_roll(world):
    with pytest.raises(ValidationError) as exc:
        services.transfer_in(actor=world.principal_b, school_class=world.class_b31, date=day(2), reason="转入",
                             id_number=world.a2.id_number, name=world.a2.name)
    assert "须由原学校先办理转出" in exc.value.message_dict["id_number"][0]
    world.a2.refresh_from_db()
    assert world.a2.school == world.school_a and not StatusChange.objects.exists()


def test_transfer_in_of_unknown_child_creates_the_record(world):
    change = services.transfer_in(actor=world.principal_b, school_class=world.class_b31, date=day(1),
                                  reason="从外省转入", from_school_name="广东省东莞市某小学",
                                  id_number=f.next_id_number(male=False), name="单雨桐",
                                  gender="", birth_date=None)
    student = change.student
    assert student.status == S.ENROLLED and student.name_pinyin == "shanyutong"
    assert change.other_school_name == "广东省东莞市某小学" and change.status_before == S.NOT_ENROLLED


def test_transitions_table_refuses_impossible_moves(world):
    record(world, world.a1, K.DROP_OUT)
    with pytest.raises(ValidationError, match="不能办理休学"):
        record(world, world.a1, K.SUSPEND, documents=[pdf()], expected_return_date=day(-9))
    assert services.allowed_kinds(Student.objects.get(pk=world.a1.pk)) == [K.RESUME, K.DEATH]


def test_resume_needs_class_in_own_school_and_returns_to_roll(world):
    record(world, world.a1, K.DROP_OUT)
    with pytest.raises(ValidationError) as exc:
        record(world, world.a1, K.RESUME, to_class=world.class_b31)
    assert "只能选择本校的班级" in exc.value.message_dict["to_class"][0]
    record(world, world.a1, K.RESUME, to_class=world.class_a32)
    world.a1.refresh_from_db()
    assert world.a1.status == S.ENROLLED and world.a1.school_class == world.class_a32


def test_skip_grade_needs_higher_grade_and_proof(world):
    with pytest.raises(ValidationError) as exc:
        record(world, world.a1, K.SKIP_GRADE, to_class=world.class_a32)
    assert "须高于" in exc.value.message_dict["to_class"][0] and "跳级审批表" in exc.value.message_dict["documents"][0]
    record(world, world.a1, K.SKIP_GRADE, to_class=world.class_a41, documents=[pdf("审批表.pdf")])
    world.a1.refresh_from_db()
    assert world.a1.grade == world.grade_a4 and world.a1.status == S.ENROLLED


def test_graduate_only_from_top_grade(world):
    with pytest.raises(ValidationError, match="只有毕业年级（六年级）"):
        record(world, world.a1, K.GRADUATE)


@pytest.mark.parametrize("kw,field,message", [
    ({"date": None}, "date", "请填写异动日期"),
    ({"date": timezone.localdate() + timedelta(days=3)}, "date", "不能晚于今天"),
    ({"reason": " "}, "reason", "请填写异动原因"),
])
def test_status_change_bad_input_names_field(world, kw, field, message):
    with pytest.raises(ValidationError) as exc:
        record(world, world.a1, K.DROP_OUT, **kw)
    assert message in exc.value.message_dict[field][0]


def test_status_change_is_append_only(world):
    change = record(world, world.a1, K.DROP_OUT)
    change.reason = "改掉"
    with pytest.raises(PermissionError, match="不可修改或删除"):
        change.save()
    with pytest.raises(PermissionError):
        change.delete()
    assert StatusChange.objects.get(pk=change.pk).reason == "测试原因"


def test_status_change_only_by_own_school_admin(world):
    with pytest.raises(PermissionDenied):
        services.status_change_record(actor=world.head_a, student=world.a1, kind=K.DROP_OUT, date=day(1), reason="x")
    with pytest.raises(PermissionDenied):
        services.status_change_record(actor=world.principal_b, student=world.a1, kind=K.DROP_OUT, date=day(1),
                                      reason="x")
    with pytest.raises(PermissionDenied):
        services.transfer_in(actor=world.principal_a, school_class=world.class_b31, date=day(1), reason="x",
                             id_number=f.next_id_number(), name="新生")


def test_system_actor_records_change_for_other_apps(world):
    change = services.status_change_record(actor=None, student=world.a1, kind=K.DROP_OUT, date=day(1),
                                           reason="连续缺课超过一个月")
    assert change.recorded_by is None and Student.objects.get(pk=world.a1.pk).status == S.DROPPED_OUT


def test_every_change_is_announced_to_other_apps(world):
    from students.signals import student_status_changed

    seen = []

    def receiver(sender, **kw):
        seen.append((kw["kind"], kw["status_before"], kw["status_after"], kw["actor"]))

    student_status_changed.connect(receiver)
    try:
        change = record(world, world.a1, K.TRANSFER_OUT)
        services.transfer_confirm(actor=world.principal_a, change=change, received_date=day(1),
                                  receiving_school_name="某校")
    finally:
        student_status_changed.disconnect(receiver)
    assert seen == [(K.TRANSFER_OUT, S.ENROLLED, S.TRANSFER_PENDING, world.principal_a),
                    ("transfer_confirmed", S.TRANSFER_PENDING, S.TRANSFERRED, world.principal_a)]
