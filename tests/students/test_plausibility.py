"""An age outside the grade's range needs a confirmation with a reason in the student form and is a warning in
the 学籍 import preview (issue 9: a child born 2024 or 2000 went into 一年级 without a word)."""
from datetime import date

import pytest
from django.urls import reverse

from students import services
from students.idnumbers import build
from students.models import Student
from students.plausibility import expected_ages, grade_age_warning
from tests import factories as f


@pytest.fixture
def grade1(world):
    return f.SchoolClassFactory(grade=f.GradeFactory(school=world.school_a, school_year=world.year, level=1), number=1)


def _post(school_class, birth, **kw):
    data = {"name": "钱小宝", "former_name": "", "id_type": "1", "id_number": build("411503", birth, 15), "gender": "",
            "birth_date": "", "ethnicity": "汉族", "student_number": "", "hukou_address": "", "village": "",
            "address": "", "phone": "", "school_class": school_class.pk}
    data.update(kw)
    return data


def test_expected_ages_follow_the_settings(settings):
    assert expected_ages(1) == (4, 8) and expected_ages(9) == (12, 16)
    settings.KONGCHUO = {**settings.KONGCHUO, "GRADE_AGE_TOLERANCE": 1}
    assert expected_ages(1) == (5, 7)


@pytest.mark.parametrize("birth, warned", [
    (date(2024, 3, 1), True), (date(2000, 3, 1), True), (date(2020, 9, 2), False), (date(2018, 9, 1), False),
    (date(2022, 9, 2), True), (date(2017, 9, 1), True),
])
def test_grade_age_warning_on_the_school_years_first_of_september(world, birth, warned):
    message = grade_age_warning(birth, 1, world.year)
    assert bool(message) is warned
    if warned:
        assert "一年级学生通常为 4–8 岁" in message and "2026年9月1日" in message


@pytest.mark.parametrize("birth, age", [(date(2024, 3, 1), 2), (date(2000, 3, 1), 26)])
def test_student_form_asks_for_a_confirmed_reason_for_an_implausible_age(client, world, grade1, birth, age):
    client.force_login(world.principal_a)
    url = reverse("students:create")
    response = client.post(url, _post(grade1, birth))
    body = response.content.decode()
    assert response.status_code == 400
    assert f"年龄为 {age} 岁，一年级学生通常为 4–8 岁" in body and "已核对，按填写内容保存" in body
    assert 'name="confirm_reason"' in body and 'type="text" name="confirm_reason"' in body
    assert not Student.objects.filter(name="钱小宝").exists()
    # confirmed without a reason: still refused, the reason field says so
    response = client.post(url, {**_post(grade1, birth), "confirm_mismatch": "on"})
    assert response.status_code == 400 and "请填写核对说明：年龄与年级不符的原因。" in response.content.decode()
    assert not Student.objects.filter(name="钱小宝").exists()
    response = client.post(url, {**_post(grade1, birth), "confirm_mismatch": "on", "confirm_reason": "户口簿登记有误，已核实"})
    assert response.status_code == 302
    student = Student.objects.get(name="钱小宝")
    assert student.history.first().history_change_reason == "核对说明：户口簿登记有误，已核实"


def test_plausible_age_needs_no_confirmation(client, world, grade1):
    client.force_login(world.principal_a)
    response = client.post(reverse("students:create"), _post(grade1, date(2020, 5, 1)))
    assert response.status_code == 302


def test_services_asked_to_check_refuse_an_implausible_age_unless_confirmed_with_a_reason(world, grade1):
    kwargs = dict(actor=world.principal_a, school_class=grade1, name="孙小小", id_type="1", check_age=True,
                  id_number=build("411503", date(2024, 1, 1), 17), gender="", birth_date=None)
    with pytest.raises(services.NeedsConfirmation) as exc:
        services.student_create(**kwargs)
    assert exc.value.reason_required and "年龄为 2 岁" in exc.value.warnings[0]
    with pytest.raises(services.NeedsConfirmation) as exc:
        services.student_create(**kwargs, confirm_mismatch=True)
    assert exc.value.reason_missing
    assert services.student_create(**kwargs, confirm_mismatch=True, confirm_reason="随班就读").pk
