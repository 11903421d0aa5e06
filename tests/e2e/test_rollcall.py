"""The 班主任's roll-call on a 360×740 phone: from the workbench to a saved roll-call, and back to correct it."""
import pytest

from students.models import Absence, RollCall


@pytest.mark.django_db(transaction=True)
def test_head_teacher_roll_call_journey(demo_district, page, live_server, login, screenshot):
    login(page, "demo_headteacher")
    panel = page.locator("[data-panel=今日点名]")
    assert "未点名" in panel.inner_text()
    panel.get_by_text("三年级1班点名").click()
    page.wait_for_selector("#rollcall-form")
    assert "三年级1班 点名" in page.locator("#rollcall-title").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    rows = page.locator("[data-student]")
    # The demo has students on a running streak (pre-marked 无故); pick one defaulting to 到.
    index = next(i for i in range(rows.count()) if rows.nth(i).locator("input[value='']").is_checked())
    first = rows.nth(index)
    name = first.locator(".rollcall-name").inner_text().split(". ", 1)[1]
    absent_before = int(page.locator("#n-absent").inner_text())
    # Thumb-friendly: every choice is at least 44 px high and the four fit the row.
    box = first.locator("label", has_text="无故").bounding_box()
    assert box["height"] >= 44 and box["x"] + box["width"] <= 360
    first.locator("label", has_text="无故").click()
    assert int(page.locator("#n-absent").inner_text()) == absent_before + 1
    screenshot(page, "rollcall_marked")
    page.get_by_role("button", name="保存点名").click()
    page.wait_for_selector("#rollcall-saved")
    assert f"缺勤 {absent_before + 1} 人" in page.locator(".alert-success").inner_text()
    assert page.locator("[data-student]").nth(index).locator("input[value=unexcused]").is_checked()
    day = page.locator("#rollcall-form input[name=date]").get_attribute("value")
    roll_call = RollCall.objects.get(date=day, school_class__grade__school__code="2141571001",
                                     school_class__grade__level=3, school_class__number=1)
    assert roll_call.absent_count == absent_before + 1
    absence = Absence.objects.get(roll_call=roll_call, student__name=name)
    assert absence.reason == "unexcused"
    # Correct it: the child was there after all — same day, same roll-call, no duplicate.
    page.locator("[data-student]").nth(index).locator("label", has_text="到").click()
    page.get_by_role("button", name="保存点名").click()
    page.wait_for_selector("#rollcall-saved")
    assert f"缺勤 {absent_before} 人" in page.locator(".alert-success").inner_text()
    assert not Absence.objects.filter(roll_call=roll_call, student__name=name).exists()
    assert RollCall.objects.filter(pk=roll_call.pk).count() == 1
    screenshot(page, "rollcall_saved")


@pytest.mark.django_db(transaction=True)
def test_principal_term_check_and_whereabouts_on_phone(demo_district, page, live_server, login, screenshot):
    login(page, "demo_principal")
    page.goto(f"{live_server.url}/students/discovery/term-check/")
    page.get_by_role("button", name="开始比对").click()
    page.wait_for_selector("#check-result")
    assert "上学期名单" in page.locator("#check-result").inner_text()
    page.goto(f"{live_server.url}/students/discovery/non-returns/?status=all")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "nonreturn_list")
    cards = page.locator("#nonreturn-cards a")
    if cards.count():
        cards.first.click()
        page.select_option("select[name=whereabouts]", "with_parents")
        page.fill("input[name=whereabouts_detail]", "随父母在广东东莞")
        page.get_by_role("button", name="保存去向").click()
        page.wait_for_load_state("networkidle")
        assert "已保存" in page.locator(".alert-success").inner_text()
        screenshot(page, "nonreturn_whereabouts")
