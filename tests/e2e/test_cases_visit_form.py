"""The home-visit form on a 360 px phone never loses what was typed (draft, offline queue, one visit per submit)."""
import pytest

from cases.models import Case, HomeVisit
from cases.services import case_open
from kongchuo.models import User

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def teacher_case(demo_district):
    teacher = User.objects.get(username="demo_teacher")
    student = teacher.care_assignments.filter(is_active=True).first().student
    case = Case.objects.open().filter(student=student).first() or case_open(
        student=student, trigger=Case.Trigger.TEACHER_REPORT, actor=teacher)
    return case


def _fill(page):
    page.fill("input[name=people_met]", "母亲、学生本人")
    page.fill("textarea[name=findings]", "学生在家打游戏，母亲同意下周一送到学校。")
    page.check("input[name=guardian_attitude][value=supportive]")
    page.fill("input[name=next_step]", "周一班主任到村口接")


def test_visit_typed_offline_is_sent_when_network_returns(teacher_case, page, live_server, login, screenshot):
    login(page, "demo_teacher")
    page.goto(f"{live_server.url}/cases/{teacher_case.pk}/visits/new/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    _fill(page)
    before = HomeVisit.objects.filter(case=teacher_case).count()
    page.context.set_offline(True)
    page.click("form.kc-form button[type=submit]")
    page.wait_for_selector("#draft-banner:not([hidden])")
    assert "网络" in page.inner_text("#draft-banner")
    screenshot(page, "cases_visit_offline_queued")
    assert HomeVisit.objects.filter(case=teacher_case).count() == before
    keys = page.evaluate("Object.keys(localStorage)")
    assert any(k.startswith("kc-visit:") for k in keys)
    with page.expect_navigation(url="**/cases/visits/*/**"):
        page.context.set_offline(False)
    assert "家访记录已保存" in page.content()
    assert HomeVisit.objects.filter(case=teacher_case).count() == before + 1
    assert not any(k.startswith("kc-visit:") for k in page.evaluate("Object.keys(localStorage)"))
    screenshot(page, "cases_visit_saved")


def test_visit_draft_survives_a_reload(teacher_case, page, live_server, login, screenshot):
    login(page, "demo_teacher")
    url = f"{live_server.url}/cases/{teacher_case.pk}/visits/new/"
    page.goto(url)
    _fill(page)
    page.reload()
    assert page.input_value("textarea[name=findings]") == "学生在家打游戏，母亲同意下周一送到学校。"
    assert page.is_checked("input[name=guardian_attitude][value=supportive]")
    assert "已恢复" in page.inner_text("#draft-banner")
    screenshot(page, "cases_visit_draft_restored")


def test_visit_double_tap_creates_one_visit(teacher_case, page, live_server, login):
    login(page, "demo_teacher")
    page.goto(f"{live_server.url}/cases/{teacher_case.pk}/visits/new/")
    _fill(page)
    before = HomeVisit.objects.filter(case=teacher_case).count()
    with page.expect_navigation(url="**/cases/visits/*/**"):
        page.click("form.kc-form button[type=submit]", click_count=2)
    assert HomeVisit.objects.filter(case=teacher_case).count() == before + 1


def test_case_pages_fit_a_phone(teacher_case, page, live_server, login, screenshot):
    login(page, "demo_principal")
    for name, path in [("cases_list", "/cases/"), ("cases_detail", f"/cases/{teacher_case.pk}/"),
                       ("cases_inbox", "/cases/inbox/"), ("cases_plans", "/cases/homeschool/"),
                       ("cases_exemptions", "/cases/exemptions/?status=all")]:
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
        screenshot(page, name)
