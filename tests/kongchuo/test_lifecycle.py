"""kongchuo.lifecycle: lock + expected-state check, the stale-message registry, the page hidden fields."""
import ast
import pathlib

import pytest
from django import forms
from django.db import transaction

from kongchuo import lifecycle
from kongchuo.lifecycle import ERR_PAGE_EXPIRED, StaleState
from kongchuo.models import School

pytestmark = pytest.mark.django_db


def test_check_without_expectation_accepts_any_state(world):
    lifecycle.check(world.school_a, None)  # API/CLI/system callers


def test_check_refuses_a_changed_field_with_the_generic_message(world):
    """A model without a registered describer still gets a Chinese message with the current value."""
    school = world.school_a
    with pytest.raises(StaleState) as info:
        lifecycle.check(school, {"name": "旧名称"})
    assert info.value.message == f"学校已被他人变更（现为“{school.name}”），您的操作未执行。请查看最新情况后再办理。"
    assert (info.value.field, info.value.expected, info.value.current) == ("name", "旧名称", school.name)
    assert "旧名称" not in info.value.message  # the posted value is never echoed


def test_check_uses_the_registered_describer(world, monkeypatch):
    monkeypatch.setitem(lifecycle._DESCRIBERS, "kongchuo.school", lambda obj, field: f"{obj.name} 已由某某改名。")
    with pytest.raises(StaleState) as info:
        lifecycle.check(world.school_a, {"name": "旧名称"})
    assert info.value.message == f"{world.school_a.name} 已由某某改名。"


def test_guard_reloads_the_committed_state_before_checking(world):
    stale_copy = School.objects.get(pk=world.school_a.pk)
    School.objects.filter(pk=stale_copy.pk).update(name="新名称")
    with transaction.atomic(), pytest.raises(StaleState):
        lifecycle.guard(stale_copy, {"name": world.school_a.name})
    assert stale_copy.name == "新名称"
    with transaction.atomic():
        assert lifecycle.guard(stale_copy, {"name": "新名称"}) is stale_copy


def test_case_describers_are_registered_by_the_apps():
    assert {"cases.case", "cases.caseclosure", "cases.exemption", "notices.notice"} <= set(lifecycle._DESCRIBERS)


@pytest.mark.parametrize("data", [{}, {"expected_status": ""}, {"expected_status": "   "}])
def test_a_page_post_without_its_state_is_an_expired_page(data):
    with pytest.raises(StaleState) as info:
        lifecycle.expected_from(data, ("status",))
    assert info.value.message == ERR_PAGE_EXPIRED


def test_expected_from_reads_every_field_and_bounds_it():
    posted = {"expected_status": " warning ", "expected_stage": "x" * 500}
    assert lifecycle.expected_from(posted, ("status", "stage")) == {"status": "warning", "stage": "x" * 40}


def test_add_expected_fields_renders_hidden_inputs(world):
    form = lifecycle.add_expected_fields(forms.Form(), world.school_a, ("name",))
    html = str(form)
    assert f'<input type="hidden" name="expected_name" value="{world.school_a.name}"' in html


def test_posted_is_stale_ignores_a_missing_state_and_reports_a_stale_one(world):
    assert lifecycle.posted_is_stale({}, world.school_a, ("name",)) is None
    assert lifecycle.posted_is_stale({"expected_name": world.school_a.name}, world.school_a, ("name",)) is None
    assert isinstance(lifecycle.posted_is_stale({"expected_name": "旧"}, world.school_a, ("name",)), StaleState)


def test_who_and_when_name_the_system_for_automatic_moves():
    assert lifecycle.who(None) == "系统"
    assert lifecycle.when(None) == "刚才"


def test_lifecycle_imports_nothing_from_the_apps():
    tree = ast.parse(pathlib.Path(lifecycle.__file__).read_text(encoding="utf-8"))
    modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not {m.split(".")[0] for m in modules if m} & {"students", "cases", "notices", "reports"}
