"""Every cases URL: own visible, neighbour 404, visible-but-not-allowed 403; lists constant in queries; flows."""
import datetime
import uuid
from types import SimpleNamespace

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import (
    Case, CaseClosure, Exemption, FollowUp, HomeVisit, Notification, SessionPhoto, TeachingPlan, TeachingSession,
    VisitPhoto,
)
from cases.services import case_open
from tests import factories as f
from tests.conftest import STUDENT_SCOPE

KEYS = ("a1", "a2", "a3", "a4", "b1", "c1", "d1")
# Which students' cases each persona sees: the student scope, except that the 办事处 only sees cases escalated
# to it (a1's case sits at the 办事处 tier in this fixture).
CASE_SCOPE = {**STUDENT_SCOPE, "subdistrict": {"a1"}}


@pytest.fixture
def scoped(world):
    """One open case per student a1..d1 (a1's at the 办事处 tier) with a visit, follow-up, closure, exemption,
    送教 plan, session and photos each."""
    objs = SimpleNamespace(cases={}, visits={}, followups={}, closures={}, exemptions={}, plans={}, sessions={},
                           visit_photos={}, session_photos={})
    for key in KEYS:
        student = getattr(world, key)
        case = case_open(student=student, trigger=Case.Trigger.TEACHER_REPORT, actor=None, system=True)
        objs.cases[key] = case
        visit = HomeVisit.objects.create(student=student, case=case, visit_date=datetime.date(2026, 10, 1),
                                         people_met="母亲", findings=f"{key} 的家访", guardian_attitude="hesitant",
                                         created_by=world.sysadmin)
        objs.visits[key] = visit
        objs.visit_photos[key] = VisitPhoto.objects.create(visit=visit, image=ContentFile(b"jpg", name="v.jpg"))
        objs.followups[key] = FollowUp.objects.create(case=case, kind="visit", due_date=datetime.date(2026, 10, 20))
        objs.closures[key] = CaseClosure.objects.create(
            case=case, requested_by=world.sysadmin, attended_days=1, evidence_note="x",
            evidence_file=ContentFile(b"%PDF-1.4", name="e.pdf"))
        objs.exemptions[key] = Exemption.objects.create(
            student=student, case=case, kind="deferral", reason="病", guardian_name="父", assessment_kind="hospital",
            application_file=ContentFile(b"%PDF-1.4", name="a.pdf"),
            assessment_file=ContentFile(b"%PDF-1.4", name="b.pdf"), start_date=datetime.date(2026, 10, 1),
            end_date=datetime.date(2027, 3, 1), applied_by=world.sysadmin)
        plan = TeachingPlan.objects.create(
            student=student, school=student.school, disability="肢体", goals="自理", schedule_days="1,3",
            start_date=datetime.date(2026, 9, 1), end_date=datetime.date(2027, 1, 15), created_by=world.sysadmin)
        plan.teachers.set([world.teacher_a if key.startswith("a") else world.teacher_b])
        objs.plans[key] = plan
        session = TeachingSession.objects.create(plan=plan, date=datetime.date(2026, 10, 6), duration_minutes=60,
                                                 content="识字", teacher=world.sysadmin, created_by=world.sysadmin)
        objs.sessions[key] = session
        objs.session_photos[key] = SessionPhoto.objects.create(session=session,
                                                               image=ContentFile(b"jpg", name="s.jpg"))
    Case.objects.exclude(pk=objs.cases["a1"].pk).update(stage=Case.Stage.SCHOOL)
    Case.objects.filter(pk=objs.cases["a1"].pk).update(stage=Case.Stage.SUBDISTRICT)
    return objs


def test_case_detail_scope_matrix(world, scoped, scope_matrix):
    scope_matrix(world, url_for=lambda c: reverse("cases:detail", args=[c.pk]), objects=scoped.cases,
                 expected={u: CASE_SCOPE[u] for u in CASE_SCOPE})


def test_visit_detail_scope_matrix_follows_case(world, scoped, scope_matrix):
    scope_matrix(world, url_for=lambda v: reverse("cases:visit_detail", args=[v.pk]), objects=scoped.visits,
                 expected={u: CASE_SCOPE[u] for u in CASE_SCOPE})


def test_student_hub_scope_matrix(world, scoped, scope_matrix):
    students = {k: getattr(world, k) for k in KEYS}
    scope_matrix(world, url_for=lambda s: reverse("cases:student", args=[s.pk]), objects=students,
                 expected=STUDENT_SCOPE)


def test_exemption_detail_scope_matrix(world, scoped, scope_matrix):
    scope_matrix(world, url_for=lambda e: reverse("cases:exemption_detail", args=[e.pk]), objects=scoped.exemptions,
                 expected=STUDENT_SCOPE)


def test_plan_detail_scope_matrix(world, scoped, scope_matrix):
    scope_matrix(world, url_for=lambda p: reverse("cases:plan_detail", args=[p.pk]), objects=scoped.plans,
                 expected=STUDENT_SCOPE)


# URL → (objects attribute, url builder, {persona: visible keys} for personas allowed to act)
SCHOOL_ACTORS = {"principal_a": {"a1", "a2", "a3", "a4"}, "principal_b": {"b1"}}
ACTION_URLS = {
    "visit_new": ("cases", lambda o: reverse("cases:visit_new", args=[o.pk]),
                  {**SCHOOL_ACTORS, "teacher_a": {"a1"}, "village": {"a1", "b1"}, "subdistrict": {"a1"}}),
    "edit": ("cases", lambda o: reverse("cases:action", args=[o.pk, "edit"]), {**SCHOOL_ACTORS, "head_a": {"a1", "a2"}}),
    "status": ("cases", lambda o: reverse("cases:action", args=[o.pk, "status"]), {**SCHOOL_ACTORS,
                                                                                   "leader": CASE_SCOPE["leader"]}),
    "escalate": ("cases", lambda o: reverse("cases:action", args=[o.pk, "escalate"]), {**SCHOOL_ACTORS,
                                                                                       "teacher_b": {"b1"}}),
    "return_down": ("cases", lambda o: reverse("cases:action", args=[o.pk, "return_down"]),
                    {**SCHOOL_ACTORS, "subdistrict": {"a1"}}),
    "return": ("cases", lambda o: reverse("cases:action", args=[o.pk, "return"]), {**SCHOOL_ACTORS,
                                                                                   "office": CASE_SCOPE["office"]}),
    # not yet returned: the page sends the user back to the case with a message (302), never a useless form
    "retention": ("cases", lambda o: reverse("cases:action", args=[o.pk, "retention"]), SCHOOL_ACTORS, 302),
    "close": ("cases", lambda o: reverse("cases:action", args=[o.pk, "close"]), SCHOOL_ACTORS),
    "note": ("cases", lambda o: reverse("cases:action", args=[o.pk, "note"]), SCHOOL_ACTORS),
    "delete": ("cases", lambda o: reverse("cases:action", args=[o.pk, "delete"]), {**SCHOOL_ACTORS,
                                                                                   "office": CASE_SCOPE["office"]}),
    "followup_done": ("followups", lambda o: reverse("cases:followup_done", args=[o.pk]),
                      {**SCHOOL_ACTORS, "teacher_a": {"a1"}}),
    "closure_review": ("closures", lambda o: reverse("cases:closure_review", args=[o.pk]),
                       {"office": CASE_SCOPE["office"]}),
    "closure_file": ("closures", lambda o: reverse("cases:closure_file", args=[o.pk]),
                     {**SCHOOL_ACTORS, "subdistrict": {"a1"}}),
    "visit_photo": ("visit_photos", lambda o: reverse("cases:visit_photo", args=[o.pk]),
                    {**SCHOOL_ACTORS, "teacher_a": {"a1"}, "subdistrict": {"a1"}}),
    "exemption_file": ("exemptions", lambda o: reverse("cases:exemption_file", args=[o.pk, "assessment"]),
                       {**SCHOOL_ACTORS, "village": {"a1", "b1"}}),
    "session_new": ("plans", lambda o: reverse("cases:session_new", args=[o.pk]), {**SCHOOL_ACTORS,
                                                                                    "teacher_a": {"a1"}}),
    "session_photo": ("session_photos", lambda o: reverse("cases:session_photo", args=[o.pk]), SCHOOL_ACTORS),
}


@pytest.mark.parametrize("name", sorted(ACTION_URLS))
def test_action_url_own_visible_neighbour_404(world, scoped, scope_matrix, name):
    attr, url_for, expected, *ok = ACTION_URLS[name]
    objects = dict(getattr(scoped, attr))
    if name == "escalate":
        objects.pop("a1")  # already at the top tier: the page redirects with a message
    scope_matrix(world, url_for=url_for, objects=objects, expected=expected, ok_status=ok[0] if ok else 200)


@pytest.mark.parametrize("name,username", [
    ("edit", "leader"), ("escalate", "leader"), ("return", "village"), ("retention", "office"),
    ("close", "subdistrict"), ("closure_review", "principal_a"), ("visit_new", "leader"),
    ("session_new", "office"), ("followup_done", "village"), ("delete", "head_a"),
])
def test_action_url_visible_but_not_allowed_is_403(client, world, scoped, name, username):
    attr, url_for, *_ = ACTION_URLS[name]
    client.force_login(getattr(world, username))
    assert client.get(url_for(getattr(scoped, attr)["a1"])).status_code == 403


STUDENT_URLS = ["cases:open", "cases:student_visit_new", "cases:exemption_new", "cases:plan_new", "cases:assistance_new"]


@pytest.mark.parametrize("url_name", STUDENT_URLS)
def test_student_action_url_own_visible_neighbour_404(world, scope_matrix, url_name):
    students = {k: getattr(world, k) for k in KEYS}
    scope_matrix(world, url_for=lambda s: reverse(url_name, args=[s.pk]), objects=students,
                 expected={"principal_a": STUDENT_SCOPE["principal_a"], "principal_b": {"b1"}})


@pytest.mark.parametrize("url_name", ["cases:list", "cases:visit_list", "cases:exemption_list", "cases:plan_list",
                                      "cases:assistance_list", "cases:inbox", "cases:student_search"])
def test_list_pages_show_only_own_scope(client, world, scoped, url_name):
    client.force_login(world.principal_b)
    body = client.get(reverse(url_name), {"view": "all", "mine": "0", "status": "all", "q": "孙悦"}).content.decode()
    assert "张保杰" not in body and "周杰" not in body and "吴迪" not in body
    if url_name in ("cases:list", "cases:visit_list", "cases:exemption_list", "cases:plan_list",
                    "cases:student_search"):
        assert "孙悦" in body


def test_subdistrict_list_shows_only_escalated_cases(client, world, scoped):
    client.force_login(world.subdistrict)
    page = client.get(reverse("cases:list"), {"view": "all"}).context["page"]
    assert [c.student.name for c in page] == ["张保杰"]


def test_notification_of_someone_else_is_404(client, world):
    note = Notification.objects.create(recipient=world.principal_b, title="别人的消息")
    client.force_login(world.principal_a)
    assert client.get(reverse("cases:inbox_open", args=[note.pk])).status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


# ---------------------------------------------------------------------------------------------- queries
def _count_queries(client, url, params=None):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _more_cases(world, n):
    for i in range(n):
        student = f.StudentFactory(name=f"学生{i}", school_class=world.class_a41, village=world.v1b)
        case = case_open(student=student, trigger="absence", actor=None, system=True, reasons=["study", "poverty"])
        HomeVisit.objects.create(student=student, case=case, visit_date=datetime.date(2026, 10, 1), people_met="母",
                                 findings="x", guardian_attitude="hesitant", created_by=world.sysadmin)


@pytest.mark.parametrize("url_name,params", [("cases:list", {"view": "all"}), ("cases:visit_list", {"mine": "0"}),
                                             ("cases:exemption_list", {"status": "all"}),
                                             ("cases:plan_list", {}), ("cases:assistance_list", {}),
                                             ("cases:inbox", {})])
def test_list_query_count_is_constant(client, world, url_name, params, django_assert_max_num_queries):
    client.force_login(world.principal_a)
    _more_cases(world, 2)
    few = _count_queries(client, reverse(url_name), params)
    _more_cases(world, 12)
    with django_assert_max_num_queries(few):
        client.get(reverse(url_name), params)


def test_case_detail_query_count_is_bounded(client, world, scoped, django_assert_max_num_queries):
    client.force_login(world.principal_a)
    with django_assert_max_num_queries(45):
        assert client.get(reverse("cases:detail", args=[scoped.cases["a2"].pk])).status_code == 200


# ---------------------------------------------------------------------------------------------- flows
def test_open_case_through_the_page(client, world):
    client.force_login(world.head_a)
    response = client.post(reverse("cases:open", args=[world.a2.pk]),
                           {"trigger": "teacher_report", "reasons": ["study", "poverty"], "note": "不愿上学"})
    case = Case.objects.get(student=world.a2)
    assert response.status_code == 302 and response.url == reverse("cases:detail", args=[case.pk])
    assert sorted(case.reason_codes) == ["poverty", "study"]
    # a second attempt lands on the existing case
    again = client.get(reverse("cases:open", args=[world.a2.pk]))
    assert again.status_code == 302 and again.url == reverse("cases:detail", args=[case.pk])


def test_escalate_through_the_page_notifies_with_badge(client, world):
    case = case_open(student=world.a1, trigger="absence", actor=world.head_a)
    client.force_login(world.teacher_a)
    response = client.post(reverse("cases:action", args=[case.pk, "escalate"]), {"reason": "家长拒绝",
                                                                                  "expected_stage": "teacher"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.stage == Case.Stage.SCHOOL
    client.force_login(world.principal_a)
    body = client.get(reverse("cases:list")).content.decode()
    assert 'data-unread="1"' in body
    note = Notification.objects.get(recipient=world.principal_a)
    opened = client.get(reverse("cases:inbox_open", args=[note.pk]))
    assert opened.url == reverse("cases:detail", args=[case.pk])
    assert 'data-unread=' not in client.get(reverse("cases:list")).content.decode()


def test_forbidden_transition_through_the_page_shows_chinese_message(client, world):
    case = case_open(student=world.a1, trigger="absence", actor=world.head_a)
    client.force_login(world.principal_a)
    response = client.post(reverse("cases:action", args=[case.pk, "status"]),
                           {"to_status": "closed", "reason": "想直接销号", "expected_status": "warning"})
    assert response.status_code == 200
    assert "选择一个有效的选项" in response.content.decode() or "不能从" in response.content.decode()
    case.refresh_from_db()
    assert case.status == Case.Status.WARNING


def test_return_page_offers_placements_only(client, world):
    case = case_open(student=world.a1, trigger="absence", actor=world.head_a)
    client.force_login(world.head_a)
    body = client.get(reverse("cases:action", args=[case.pk, "return"])).content.decode()
    for label in ("原班", "插班", "单独编班", "随班就读", "特教学校", "送教上门", "普职融合"):
        assert label in body
    assert "拒收" not in body.replace("不得拒收", "")


def test_visit_form_double_submit_creates_one_visit(client, world):
    case = case_open(student=world.a1, trigger="absence", actor=world.head_a)
    client.force_login(world.teacher_a)
    form = client.get(reverse("cases:visit_new", args=[case.pk]))
    key = form.context["form"].initial["idempotency_key"]
    data = {"idempotency_key": str(key), "visit_date": "2026-10-12", "mode": "home", "people_met": "母亲",
            "findings": "学生在家", "guardian_attitude": "supportive"}
    first = client.post(reverse("cases:visit_new", args=[case.pk]), data)
    second = client.post(reverse("cases:visit_new", args=[case.pk]), data)
    assert first.status_code == second.status_code == 302 and first.url == second.url
    assert HomeVisit.objects.filter(case=case).count() == 1
    detail = client.get(second.url).content.decode()
    assert "data-clear-draft" in detail


def test_visit_form_error_names_the_field_and_saves_nothing(client, world):
    case = case_open(student=world.a1, trigger="absence", actor=world.head_a)
    client.force_login(world.teacher_a)
    response = client.post(reverse("cases:visit_new", args=[case.pk]), {
        "idempotency_key": str(uuid.uuid4()), "visit_date": "2099-01-01", "mode": "home", "people_met": "母亲",
        "findings": "x", "guardian_attitude": "supportive"})
    assert response.status_code == 200
    assert "家访日期不能晚于今天" in response.content.decode()
    assert response.context["form"].errors["visit_date"]
    assert not HomeVisit.objects.exists()


def test_workbench_shows_case_panels(client, world):
    case_open(student=world.a1, trigger="absence", actor=world.head_a)
    client.force_login(world.teacher_a)
    panels = {p["title"]: p for p in client.get(reverse("workbench")).context["panels"]}
    assert panels["我负责的个案"]["total"] == 1
    assert panels["站内消息"]["unread"] == 1
    assert panels["超期个案"]["total"] == 0


def test_action_that_does_not_apply_redirects_with_message(client, world):
    case = case_open(student=world.a1, trigger="absence", actor=world.head_a)
    client.force_login(world.head_a)
    response = client.get(reverse("cases:action", args=[case.pk, "retention"]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("cases:detail", args=[case.pk])
    assert "登记复学后才能安排保学跟踪" in response.content.decode()


def test_delete_hides_case_but_keeps_it(client, world):
    case = case_open(student=world.a1, trigger="absence", actor=world.head_a)
    client.force_login(world.principal_a)
    assert client.post(reverse("cases:action", args=[case.pk, "delete"]), {"reason": ""}).status_code == 200
    response = client.post(reverse("cases:action", args=[case.pk, "delete"]), {"reason": "重复立案"})
    assert response.status_code == 302 and response.url == reverse("cases:list")
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 404
    case.refresh_from_db()
    assert case.is_deleted and case.events.filter(reason__contains="重复立案").exists()
    # a new case can be opened for the student afterwards
    assert case_open(student=world.a1, trigger="absence", actor=world.head_a).pk != case.pk
