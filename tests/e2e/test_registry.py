"""Registry on a 360×740 phone: search by initials, open a student, unmask a guardian's phone with a purpose
(logged), record a 休学 with a proof upload, and the 转出 → 待确认 → 确认 path."""
import pytest

from kongchuo.models import AccessLog
from students.models import Student
from tests.hostile.files import tiny_pdf

PDF = tiny_pdf()  # a real PDF: uploads are parsed


@pytest.mark.django_db(transaction=True)
def test_principal_search_unmask_and_suspend_journey(demo_district, page, live_server, login, screenshot, tmp_path):
    login(page, "demo_principal")
    page.goto(f"{live_server.url}/students/")
    page.fill("#student-search", "zzh")
    page.get_by_role("button", name="搜索").click()
    page.get_by_role("link", name="曾子涵").click()
    page.wait_for_selector("#student-name")
    assert page.locator("#student-name").inner_text() == "曾子涵"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    family = page.locator("#family")
    assert "139****1234" in family.inner_text() and "13903761234" not in page.content()
    unmask = family.locator("details.unmask").first
    unmask.locator("summary").click()
    unmask.locator("select").select_option("家访联系")
    unmask.get_by_role("button", name="确认查看").click()
    page.wait_for_selector("#family")
    assert "13903761234" in page.locator("#family").inner_text()
    assert AccessLog.objects.filter(action="view_phone", username="demo_principal", purpose="家访联系").exists()
    screenshot(page, "registry_unmasked")
    # 休学 with a hospital proof
    page.get_by_role("link", name="学籍异动").first.click()
    page.select_option("#id_kind", "suspend")
    assert page.locator("#div_id_to_class").is_hidden() and page.locator("#div_id_expected_return_date").is_visible()
    page.fill("#id_reason", "住院治疗")
    page.fill("#id_expected_return_date", "2027-03-01")
    proof = tmp_path / "诊断证明.pdf"
    proof.write_bytes(PDF)
    page.set_input_files("#id_documents", str(proof))
    page.get_by_role("button", name="办理").click()
    page.wait_for_selector("#changes")
    assert "休学" in page.locator("#changes").inner_text() and "诊断证明.pdf" in page.locator("#changes").inner_text()
    assert Student.objects.get(name="曾子涵").status == Student.Status.SUSPENDED
    screenshot(page, "registry_suspended")


@pytest.mark.django_db(transaction=True)
def test_transfer_out_stays_pending_until_confirmed_on_phone(demo_district, page, live_server, login):
    login(page, "demo_principal")
    student = Student.objects.get(name="单明哲")
    page.goto(f"{live_server.url}/students/{student.pk}/status/")
    page.select_option("#id_kind", "transfer_out")
    page.fill("#id_reason", "随父母到郑州")
    page.fill("#id_other_school_name", "郑州市金水区第一小学")
    page.get_by_role("button", name="办理").click()
    page.wait_for_selector("#changes")
    assert "接收学校尚未确认" in page.content()
    page.get_by_role("link", name="确认接收").click()
    page.get_by_role("button", name="确认接收").click()
    page.wait_for_selector("#changes")
    assert "已确认：郑州市金水区第一小学" in page.locator("#changes").inner_text()
    assert Student.objects.get(pk=student.pk).status == Student.Status.TRANSFERRED
