"""The Content-Security-Policy breaks nothing: headless chromium reports no violation on the pages with scripts
(home-visit form with its draft saving, roll call, student search, status-change form, bulk 包保, notice preview,
the Django admin), and the behaviours moved out of inline handlers still work."""
import pytest

from cases.models import Case
from cases.services import case_open
from kongchuo.models import User

pytestmark = pytest.mark.django_db(transaction=True)

WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + (e.sourceFile || '') + ':' + e.lineNumber);
});
"""


@pytest.fixture
def watched(page):
    console = []
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    page.add_init_script(WATCH)

    def violations():
        return console + page.evaluate("window.__csp || []")

    return violations


def _visit(page, url, violations):
    page.goto(url)
    page.wait_for_load_state("networkidle")
    found = violations()
    assert not found, f"{url}: {found}"


def test_teacher_pages_have_no_csp_violation(demo_district, page, live_server, login, watched):
    teacher = User.objects.get(username="demo_teacher")
    student = teacher.care_assignments.filter(is_active=True).first().student
    case = Case.objects.open().filter(student=student).first() or case_open(
        student=student, trigger=Case.Trigger.TEACHER_REPORT, actor=teacher)
    login(page, "demo_teacher")
    _visit(page, f"{live_server.url}/", watched)
    url = f"{live_server.url}/cases/{case.pk}/visits/new/"
    _visit(page, url, watched)
    page.fill("textarea[name=findings]", "母亲同意下周一送到学校。")
    page.reload()
    page.wait_for_load_state("networkidle")
    assert page.input_value("textarea[name=findings]") == "母亲同意下周一送到学校。"  # draft JS runs
    assert not watched()
    _visit(page, f"{live_server.url}/cases/new/?q={student.name[:1]}", watched)
    _visit(page, f"{live_server.url}/cases/{case.pk}/", watched)


def test_head_teacher_roll_call_has_no_csp_violation(demo_district, page, live_server, login, watched):
    login(page, "demo_headteacher")
    page.locator("[data-panel=今日点名]").get_by_text("三年级1班点名").click()
    page.wait_for_selector("#rollcall-form")
    page.wait_for_load_state("networkidle")
    assert not watched()
    rows = page.locator("[data-student]")
    absent_before = int(page.locator("#n-absent").inner_text())
    index = next(i for i in range(rows.count()) if rows.nth(i).locator("input[value='']").is_checked())
    rows.nth(index).locator("label", has_text="无故").click()
    assert int(page.locator("#n-absent").inner_text()) == absent_before + 1  # the roll-call script runs
    date_input = page.locator("input[type=date][data-kc-autosubmit]")
    assert date_input.count() == 1
    with page.expect_navigation():  # the date picker submits its form (was an inline onchange)
        date_input.evaluate("el => { el.value = el.max; el.dispatchEvent(new Event('change')); }")
    assert not watched()


def test_principal_pages_and_moved_handlers_work(demo_district, page, live_server, login, watched):
    principal = User.objects.get(username="demo_principal")
    from students.models import Student

    student = Student.objects.filter(school=principal.role_assignments.get().school).first()
    login(page, "demo_principal")
    _visit(page, f"{live_server.url}/students/", watched)
    _visit(page, f"{live_server.url}/students/{student.pk}/", watched)
    # status change form: fields shown only for the kinds that need them (was an inline script)
    _visit(page, f"{live_server.url}/students/{student.pk}/status/", watched)
    page.select_option("#id_kind", "suspend")
    assert page.is_visible("#div_id_expected_return_date") and not page.is_visible("#div_id_to_school")
    page.select_option("#id_kind", "transfer_out")
    assert page.is_visible("#div_id_to_school") and not page.is_visible("#div_id_expected_return_date")
    # bulk 包保: the select-all checkbox (was an inline onclick)
    _visit(page, f"{live_server.url}/students/care/bulk/", watched)
    picks = page.locator("input.pick")
    if picks.count():
        page.check("input[data-kc-check-all]")
        assert all(picks.nth(i).is_checked() for i in range(picks.count()))
    _visit(page, f"{live_server.url}/notices/", watched)
    from notices.models import Notice

    notice = Notice.objects.filter(school=principal.role_assignments.get().school).first()
    assert notice is not None, "the demo district has notices"
    # the preview iframe's own <style> blocks are allowed by hash: no violation, and they apply
    _visit(page, f"{live_server.url}/notices/{notice.pk}/", watched)
    frame = page.frame_locator("iframe.kc-notice-preview")
    assert frame.locator(".kc-notice").count() == 1
    assert frame.locator("html").evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(233, 236, 239)"
    assert page.locator("iframe.kc-notice-preview").evaluate("el => el.getBoundingClientRect().height") >= 400
    assert not watched()


def test_office_student_list_autosubmit(demo_district, page, live_server, login, watched):
    login(page, "demo_office")
    _visit(page, f"{live_server.url}/students/", watched)
    select = page.locator("select[name=school][data-kc-autosubmit]")
    assert select.count() == 1
    value = select.locator("option").nth(1).get_attribute("value")
    with page.expect_navigation():
        select.select_option(value)
    assert f"school={value}" in page.url
    assert not watched()


def test_family_remove_asks_first(demo_district, page, live_server, login, watched):
    from students.models import FamilyMember

    principal = User.objects.get(username="demo_principal")
    member = FamilyMember.objects.filter(student__school=principal.role_assignments.get().school).first()
    login(page, "demo_principal")
    _visit(page, f"{live_server.url}/students/{member.student_id}/family/{member.pk}/edit/", watched)
    page.once("dialog", lambda d: d.dismiss())
    page.click("form[data-kc-confirm] button[type=submit]")
    page.wait_for_timeout(300)
    assert FamilyMember.objects.filter(pk=member.pk).exists()  # dismissed: nothing deleted
    assert not watched()


def test_login_and_admin_have_no_csp_violation(demo_district, page, live_server, login, watched):
    _visit(page, f"{live_server.url}/accounts/login/", watched)
    login(page, "demo_admin")
    _visit(page, f"{live_server.url}/admin/", watched)
    _visit(page, f"{live_server.url}/admin/kongchuo/school/", watched)
    user = User.objects.get(username="demo_teacher")
    _visit(page, f"{live_server.url}/admin/kongchuo/user/{user.pk}/change/", watched)
    _visit(page, f"{live_server.url}/admin/kongchuo/calendarexception/add/", watched)
