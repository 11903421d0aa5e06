"""A school admin on a phone: issue a notice from a case, record its service with a photo of the 回证, print."""
import io

import pytest

from notices.models import Notice
from tests import factories as f
from tests.notices.conftest import guardian_of, make_case  # noqa: F401 - fixtures


def _png(path):
    from PIL import Image

    Image.new("RGB", (60, 40), "white").save(path, "PNG")
    return path


@pytest.mark.django_db(transaction=True)
def test_notice_journey_issue_serve_print_on_phone(world, make_case, browser, live_server, screenshot, tmp_path):
    case = make_case(world.a2)
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "principal_a")
    page.fill("input[name=password]", f.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")

    page.goto(f"{live_server.url}/cases/{case.pk}/")
    page.click("a:has-text('下达通知书')")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "notice_issue_form")
    page.click("button:has-text('下达并生成编号')")
    page.wait_for_load_state("networkidle")
    notice = Notice.objects.get(case=case)
    assert notice.number in page.content() and "已下达" in page.content()
    screenshot(page, "notice_detail_issued")

    page.click("a:has-text('登记送达')")
    page.wait_for_load_state("networkidle")
    page.set_input_files("input[name=receipt_scan]", str(_png(tmp_path / "回证.png")))
    page.click("button:has-text('保存送达记录')")
    page.wait_for_load_state("networkidle")
    assert "已登记送达" in page.content() and "期限中" in page.content()
    screenshot(page, "notice_detail_served")

    response = context.request.get(f"{live_server.url}/notices/{notice.pk}/pdf/")
    assert response.status == 200 and response.body().startswith(b"%PDF-")
    notice.refresh_from_db()
    assert notice.status == Notice.Status.SERVED and notice.service.receipt_scan
    context.close()
