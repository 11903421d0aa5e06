"""The admin is the configuration role's: every model is classified (kongchuo.privacy), no model holding
children's data is registered there, and no admin page shows a child's data to 系统管理员 or to a superuser
without another role (issue 9, "Roles that see too much")."""
import datetime

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from cases.models import Case, Exemption, HomeVisit
from kongchuo import privacy
from kongchuo.checks import check_admin_holds_no_child_data
from notices.models import NoticeKind
from notices.services import notice_issue
from tests import factories as f
from tests.notices.conftest import FIXED_NOW, guardian_of, make_case  # noqa: F401 - fixtures

OUR_APPS = ("kongchuo", "students", "cases", "notices", "reports")
DIAGNOSIS = "急性白血病"
FINDINGS = "父亲长期外出务工，母亲患病卧床"


def _our_models():
    for label in OUR_APPS:
        yield from apps.get_app_config(label).get_models()


def test_every_model_of_our_apps_is_classified():
    unclassified = sorted(m._meta.label for m in _our_models() if privacy.classification(m) is None)
    assert not unclassified, f"classify these in the app's privacy.py: {unclassified}"


def test_every_admin_model_is_classified_and_none_holds_child_data():
    registered = list(admin.site._registry)
    assert len(registered) >= 20
    unclassified = sorted(m._meta.label for m in registered if privacy.classification(m) is None)
    personal = sorted(m._meta.label for m in registered if privacy.is_personal(m))
    assert not unclassified and not personal, (unclassified, personal)


def test_children_models_are_personal_and_configuration_is_not():
    for label in ("students.Student", "students.FamilyMember", "students.ImportBatch", "cases.Case",
                  "cases.HomeVisit", "cases.Exemption", "cases.Notification", "notices.Notice",
                  "notices.NoticeService", "cases.CaseEvent", "cases.CaseClosure", "cases.AssistanceRecord"):
        assert privacy.is_personal(apps.get_model(label)), label
    for label in ("kongchuo.School", "kongchuo.User", "kongchuo.CalendarException", "cases.TierPolicy",
                  "notices.NoticeTemplate"):
        assert privacy.classification(apps.get_model(label)) == privacy.NO_CHILD_DATA, label
    # history rows follow the model they record
    assert privacy.is_personal(apps.get_model("students", "HistoricalStudent"))


def test_system_check_refuses_personal_or_unclassified_model_in_admin(monkeypatch):
    assert check_admin_holds_no_child_data(None) == []
    registry = dict(admin.site._registry)
    registry[Case] = admin.ModelAdmin(Case, admin.site)
    unclassified = apps.get_model("auth", "Permission")
    registry[unclassified] = admin.ModelAdmin(unclassified, admin.site)
    monkeypatch.setattr(admin.site, "_registry", registry)
    ids = sorted(e.id for e in check_admin_holds_no_child_data(None))
    assert ids == ["kongchuo.E010", "kongchuo.E011"]


@pytest.fixture
def child_data(world, make_case, guardian_of):
    """A case with visits, a home visit with the family situation, an exemption with a diagnosis and a notice
    (guardian name and address) for a1."""
    case = make_case(world.a1)
    HomeVisit.objects.create(student=world.a1, case=case, visit_date=datetime.date(2026, 10, 1), people_met="母亲",
                             findings=FINDINGS, guardian_attitude="hesitant", created_by=world.principal_a)
    Exemption.objects.create(
        student=world.a1, case=case, kind="deferral", reason=DIAGNOSIS, guardian_name="张保杰之父",
        assessment_kind="hospital", application_file="exemptions/a.pdf", assessment_file="exemptions/b.pdf",
        start_date=datetime.date(2026, 10, 1), end_date=datetime.date(2027, 3, 1), applied_by=world.principal_a)
    notice_issue(case=case, actor=world.principal_a, guardian=guardian_of(case), kind=NoticeKind.RETURN,
                 now=FIXED_NOW)
    return world


def _markers(world):
    names = [getattr(world, k).name for k in ("a1", "a2", "a3", "a4", "b1", "c1", "d1")]
    return names + [DIAGNOSIS, FINDINGS, "不愿返校", world.a1.id_number[-6:]]


@pytest.mark.parametrize("persona", ["sysadmin", "superuser"])
def test_no_admin_page_shows_child_data(client, child_data, persona):
    world = child_data
    user = world.sysadmin if persona == "sysadmin" else f.UserFactory(username="root", is_staff=True,
                                                                      is_superuser=True)
    client.force_login(user)
    markers = _markers(world)
    pages = [reverse("admin:index")]
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        pages.append(reverse("admin:%s_%s_changelist" % info))
        obj = model_admin.get_queryset(_Request(user)).first()
        if obj is not None:
            pages.append(reverse("admin:%s_%s_change" % info, args=[obj.pk]))
            if hasattr(model_admin, "history_view"):
                pages.append(reverse("admin:%s_%s_history" % info, args=[obj.pk]))
    leaks = []
    for url in pages:
        response = client.get(url)
        assert response.status_code in (200, 403), (url, response.status_code)
        body = response.content.decode()
        leaks += [f"{url}: {m}" for m in markers if m and m in body]
    assert not leaks, leaks
    assert len(pages) > 40


@pytest.mark.parametrize("path", [
    "/admin/students/student/", "/admin/students/familymember/", "/admin/cases/case/", "/admin/cases/homevisit/",
    "/admin/cases/exemption/", "/admin/notices/notice/", "/admin/notices/noticeservice/",
    "/admin/cases/caseevent/", "/admin/cases/notification/", "/admin/cases/caseclosure/",
    "/admin/cases/assistancerecord/", "/admin/students/importbatch/", "/admin/students/populationentry/",
])
def test_child_data_urls_do_not_exist_in_admin(client, child_data, path):
    client.force_login(child_data.sysadmin)
    assert client.get(path).status_code == 404


class _Request:
    def __init__(self, user):
        self.user = user
        self.GET = {}
