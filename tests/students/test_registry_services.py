"""Student and family services: identity checks, warnings to confirm, history, scope of writes."""
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from students import services
from students.idnumbers import build
from students.models import Enrolment, FamilyMember, Student

ID_M = build("411503", date(2016, 9, 1), 13)   # male, born 2016-09-01


def _create(world, **kw):
    data = dict(name="曾小红", gender="", birth_date=None, id_type="1", id_number=ID_M, student_number="",
                ethnicity="汉族", former_name="", hukou_address="", address="", village=None, phone="")
    data.update(kw)
    return services.student_create(actor=world.principal_a, school_class=world.class_a31, **data)


def test_student_create_fills_blank_sex_and_birth_from_id_and_opens_enrolment(world):
    student = _create(world)
    assert (student.gender, student.birth_date) == ("M", date(2016, 9, 1))
    assert student.name_pinyin == "zengxiaohong" and student.status == Student.Status.ENROLLED
    assert Enrolment.objects.get(student=student, end_date__isnull=True).school_class == world.class_a31
    assert student.history.first().history_user == world.principal_a
    assert any("性别已按身份证号" in n for n in student.identity_notes)


def test_student_create_uppercases_x_and_normalises_student_number(world):
    raw = "11010519491231002X"
    student = _create(world, id_number=raw.lower(), student_number="g" + raw.lower())
    assert student.id_number == raw and student.student_number == "G" + raw and student.id_last4 == "002X"


def test_student_create_warns_on_sex_and_birth_mismatch_and_saves_only_when_confirmed(world):
    with pytest.raises(services.NeedsConfirmation) as exc:
        _create(world, gender="F", birth_date=date(2016, 10, 1))
    assert "身份证号显示性别为男，填写的性别为女" in exc.value.warnings
    assert not Student.objects.filter(id_number=ID_M).exists()
    student = _create(world, gender="F", birth_date=date(2016, 10, 1), confirm_mismatch=True)
    assert (student.gender, student.birth_date) == ("F", date(2016, 10, 1))  # never silently overwritten


@pytest.mark.parametrize("field,value,message", [
    ("id_number", "411503201609010131", "校验码错误"),
    ("id_number", "411503160901013", "应为 18 位：15 位旧号码只发给"),
    ("student_number", "X123", "学籍号无效：学籍号应以 G、J 或 L 开头"),
    ("name", "  ", "请填写学生姓名"),
])
def test_student_create_rejects_bad_fields_with_field_named(world, field, value, message):
    with pytest.raises(ValidationError) as exc:
        _create(world, **{field: value})
    assert message in " ".join(exc.value.message_dict[field])
    assert not Student.objects.filter(name="曾小红").exists()


def test_student_create_requires_sex_and_birth_without_valid_id(world):
    with pytest.raises(ValidationError) as exc:
        _create(world, id_type="4", id_number="E12345678")
    assert set(exc.value.message_dict) == {"gender", "birth_date"}


def test_student_create_refuses_duplicate_id_naming_school_not_child(world):
    with pytest.raises(ValidationError) as exc:
        _create(world, id_number=world.d1.id_number)
    message = exc.value.message_dict["id_number"][0]
    assert "邻区小学" in message and world.d1.name not in message


def test_student_create_only_by_school_admin_of_that_school(world):
    with pytest.raises(PermissionDenied):
        services.student_create(actor=world.principal_b, school_class=world.class_a31, name="李四", gender="M",
                                birth_date=date(2016, 1, 1))
    with pytest.raises(PermissionDenied):
        services.student_create(actor=world.head_a, school_class=world.class_a31, name="李四", gender="M",
                                birth_date=date(2016, 1, 1))


def test_student_update_moves_class_within_grade_and_keeps_enrolment_history(world):
    services.enrolment_sync(student=world.a1, on=date(2026, 9, 1))
    student = services.student_update(actor=world.principal_a, student=world.a1, school_class=world.class_a32,
                                      confirm_mismatch=True)
    assert student.school_class == world.class_a32
    rows = list(Enrolment.objects.filter(student=student).order_by("pk"))
    assert rows[0].end_date is not None and rows[1].school_class == world.class_a32 and rows[1].end_date is None


@pytest.mark.parametrize("target,message", [("class_b31", "更换学校须办理学籍异动"), ("class_a41", "跨年级请办理跳级")])
def test_student_update_refuses_leaving_school_or_grade_by_edit(world, target, message):
    with pytest.raises(ValidationError, match=message):
        services.student_update(actor=world.principal_a, student=world.a1, school_class=getattr(world, target))
    world.a1.refresh_from_db()
    assert world.a1.school_class == world.class_a31


def test_student_update_by_head_teacher_only_in_own_class(world):
    services.student_update(actor=world.head_a, student=world.a2, address="胡洼村1号", confirm_mismatch=True)
    with pytest.raises(PermissionDenied):
        services.student_update(actor=world.head_a, student=world.a3, address="x")


def test_student_cannot_be_deleted(world):
    with pytest.raises(PermissionError, match="学籍异动"):
        world.a1.delete()
    assert Student.objects.filter(pk=world.a1.pk).exists()


# ------------------------------------------------------------------ family
def test_family_member_converts_15_digit_guardian_id_with_note(world):
    member = services.family_member_add(actor=world.head_a, student=world.a1, name="张大山", relation="父亲",
                                        id_number="110105491231002", phone="138 0376 1234", is_guardian=True)
    assert member.id_number == "11010519491231002X" and member.phone == "13803761234"
    assert "已转换为 18 位" in member.identity_notes[0]


@pytest.mark.parametrize("field,kw,message", [
    ("id_number", {"id_number": "110105491331002"}, "不是有效日期"),
    ("id_number", {"id_number": "11010519491231002"}, "应为 18 位"),
    ("phone", {"phone": "12345"}, "联系电话“12345”格式不正确"),
    ("relation", {"relation": ""}, "请填写与学生的关系"),
    ("works_away_place", {"works_away": True}, "外出务工请填写务工地"),
])
def test_family_member_rejects_bad_input_naming_the_field(world, field, kw, message):
    data = {"name": "张大山", "relation": "父亲", **kw}
    with pytest.raises(ValidationError) as exc:
        services.family_member_add(actor=world.head_a, student=world.a1, **data)
    assert message in " ".join(exc.value.message_dict[field])
    assert not FamilyMember.objects.filter(student=world.a1).exists()


def test_family_member_accepts_landline_and_keeps_history_on_remove(world):
    member = services.family_member_add(actor=world.head_a, student=world.a1, name="张奶奶", relation="祖母",
                                        phone="0376-6123456")
    assert member.phone == "0376-6123456"
    pk = member.pk
    services.family_member_remove(actor=world.head_a, member=member)
    assert not FamilyMember.objects.filter(pk=pk).exists()
    assert FamilyMember.history.get(id=pk, history_type="-").history_user == world.head_a


def test_family_member_write_refused_for_teacher_and_outside_scope(world):
    with pytest.raises(PermissionDenied):
        services.family_member_add(actor=world.teacher_a, student=world.a1, name="x", relation="父亲")
    with pytest.raises(PermissionDenied):
        services.family_member_add(actor=world.head_a, student=world.b1, name="x", relation="父亲")
    assert FamilyMember.objects.count() == 0


def test_enrolments_open_bulk_opens_once(world):
    assert services.enrolments_open_bulk(Student.objects.all(), on=date(2026, 9, 1)) == 7
    assert services.enrolments_open_bulk(Student.objects.all(), on=date(2026, 9, 1)) == 0
    assert Enrolment.objects.filter(student=world.a1).count() == 1
