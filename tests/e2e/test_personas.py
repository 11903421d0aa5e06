"""Every demo persona logs in on a 360×740 phone, sees its own start page, and gets the 404 page for a neighbour."""
import pytest

from kongchuo.models import School

# username → (text on its start page, which school's URL must answer 404)
PERSONAS = {
    "demo_admin": ("系统管理员", "neighbour"),
    "demo_leader": ("领导小组成员", "neighbour"),
    "demo_office": ("教育办工作人员", "neighbour"),
    "demo_subdistrict": ("办事处工作人员", "neighbour"),
    "demo_village": ("村/社区干部", "A"),
    "demo_principal": ("校长/学校管理员", "B"),
    "demo_gradelead": ("校领导", "B"),
    "demo_headteacher": ("班主任", "B"),
    "demo_teacher": ("科任教师", "B"),
    "demo_principal2": ("校长/学校管理员", "A"),
    "demo_teacher2": ("科任教师", "A"),
}


@pytest.mark.django_db(transaction=True)
def test_each_persona_start_page_and_neighbour_404(demo_district, browser, live_server, login, screenshot):
    schools = {"A": School.objects.get(code="2141571001"), "B": School.objects.get(code="2141571002"),
               "neighbour": demo_district["neighbour_school"]}
    for username, (role_text, neighbour_key) in PERSONAS.items():
        context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
        page = context.new_page()
        login(page, username)
        assert page.locator("#workbench-title").inner_text() == "我的工作台", username
        assert role_text in page.locator("[data-panel=我的职责]").inner_text(), username
        # The page fits a phone: nothing forces horizontal scrolling.
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, username
        screenshot(page, f"persona_{username}_workbench")
        response = page.goto(f"{live_server.url}/org/schools/{schools[neighbour_key].pk}/")
        assert response.status == 404, username
        assert "不在您的工作范围内" in page.content(), username
        context.close()


@pytest.mark.django_db(transaction=True)
def test_login_with_wrong_password_shows_chinese_error(demo_district, page, live_server, login, screenshot):
    login(page, "demo_teacher", "wrong-password")
    assert "用户名或密码错误" in page.content()
    screenshot(page, "login_error")


@pytest.mark.django_db(transaction=True)
def test_mobile_menu_opens_and_shows_role_items(demo_district, page, live_server, login):
    login(page, "demo_principal")
    page.click(".navbar-toggler")
    page.wait_for_selector("#mainnav.show")
    assert page.locator("#mainnav").get_by_text("我的工作台").is_visible()
    assert page.locator("#mainnav").get_by_text("系统管理").count() == 0
