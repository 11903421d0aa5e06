"""Vulnerability flags: dated, sourced, ended (never deleted), history kept; priority list."""
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from students import selectors, services
from students.idnumbers import build
from students.models import VulnerabilityFlag

F = VulnerabilityFlag.Kind


def set_flag(world, student, kind=F.SINGLE_PARENT, actor=None, **kw):
    kw.setdefault("start_date", date(2026, 9, 1))
    kw.setdefault("source", "school")
    return services.flag_set(actor=actor or world.head_a, student=student, kind=kind, **kw)


def test_flag_set_records_who_when_source(world):
    flag = set_flag(world, world.a1, source_detail="班主任核实")
    assert (flag.set_by, flag.source, flag.is_active) == (world.head_a, "school", True)
    assert flag.history.get().history_user == world.head_a


def test_flag_cannot_be_set_twice_while_active(world):
    set_flag(world, world.a1)
    with pytest.raises(ValidationError, match="已有有效的“单亲家庭”标记"):
        set_flag(world, world.a1)


def test_left_behind_one_and_both_are_exclusive(world):
    set_flag(world, world.a1, F.LEFT_BEHIND_ONE)
    with pytest.raises(ValidationError, match="不能同时有效"):
        set_flag(world, world.a1, F.LEFT_BEHIND_BOTH)


def test_disabled_flag_needs_type_and_valid_certificate(world):
    with pytest.raises(ValidationError) as exc:
        set_flag(world, world.a1, F.DISABLED, disability_certificate="123")
    errors = exc.value.message_dict
    assert "须选择残疾类别" in errors["disability_type"][0] and "应为 20 位" in errors["disability_certificate"][0]
    cert = build("411503", date(2016, 5, 1), 21) + "43"
    flag = set_flag(world, world.a1, F.DISABLED, disability_type="physical", disability_certificate=cert.lower())
    assert flag.disability_certificate == cert.upper() and flag.label == "学生残疾（肢体）"
    with pytest.raises(ValidationError, match="残疾类别（1–7）"):
        set_flag(world, world.a2, F.DISABLED, disability_type="physical", disability_certificate=cert[:18] + "94")


@pytest.mark.parametrize("kw,field,message", [
    ({"start_date": timezone.localdate() + timedelta(days=1)}, "start_date", "不能晚于今天"),
    ({"source": "guess"}, "source", "请选择信息来源"),
])
def test_flag_bad_input_names_field(world, kw, field, message):
    with pytest.raises(ValidationError) as exc:
        set_flag(world, world.a1, **kw)
    assert message in exc.value.message_dict[field][0]
    assert not VulnerabilityFlag.objects.exists()


def test_flag_end_keeps_row_and_allows_new_flag_later(world):
    flag = set_flag(world, world.a1, F.LEFT_BEHIND_BOTH)
    with pytest.raises(ValidationError) as exc:
        services.flag_end(actor=world.head_a, flag=flag, end_date=date(2026, 8, 1), reason="")
    assert "不能早于开始日期" in exc.value.message_dict["end_date"][0] and "解除原因" in exc.value.message_dict["reason"][0]
    services.flag_end(actor=world.head_a, flag=flag, end_date=timezone.localdate(), reason="父母返乡")
    flag.refresh_from_db()
    assert not flag.is_active and flag.ended_by == world.head_a and flag.history.count() == 2
    set_flag(world, world.a1, F.LEFT_BEHIND_ONE)
    assert VulnerabilityFlag.objects.filter(student=world.a1).count() == 2
    with pytest.raises(ValidationError, match="已于"):
        services.flag_end(actor=world.head_a, flag=flag, end_date=timezone.localdate(), reason="再次")


def test_flag_rights_follow_scope(world):
    set_flag(world, world.a1, actor=world.village)  # 村干部 摸排: a1 lives in v1
    with pytest.raises(PermissionDenied):
        set_flag(world, world.a2, actor=world.village)  # a2 lives in v1b
    with pytest.raises(PermissionDenied):
        set_flag(world, world.a1, F.ORPHAN, actor=world.teacher_a)
    with pytest.raises(PermissionDenied):
        set_flag(world, world.a1, F.ORPHAN, actor=world.leader)


def test_priority_list_has_students_with_any_active_flag_in_scope(world):
    set_flag(world, world.a1)
    ended = set_flag(world, world.a3, F.ORPHAN, actor=world.principal_a)
    services.flag_end(actor=world.principal_a, flag=ended, end_date=timezone.localdate(), reason="已核实不是")
    set_flag(world, world.a4, F.POVERTY, actor=world.principal_a)
    assert list(selectors.priority_students(world.principal_a, world.school_a)) == [world.a1, world.a4]
    assert list(selectors.priority_students(world.principal_a, world.school_a, F.POVERTY)) == [world.a4]
    assert list(selectors.priority_students(world.head_a, world.school_a)) == [world.a1]
