"""学籍比对 pages: upload/preview/confirm, candidates and verification, scope matrix for every URL."""
import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kongchuo.models import Job
from students.idnumbers import build as build_id
from students.importing.samples import write_population_list
from students.importing.selectors import population_candidates
from students.models import PopulationEntry, PopulationList, Student

Entry = PopulationEntry


@pytest.fixture(autouse=True)
def _private_root(settings, tmp_path):
    settings.KONGCHUO_PRIVATE_ROOT = str(tmp_path / "private")


def _row(name="陈小虎", seq=300, village="胡洼村"):
    birth = datetime.date(2015, 6, 1)
    return {"姓名": name, "性别": "男", "出生日期": birth.isoformat(), "身份证件号": build_id("411503", birth, seq * 2 + 1),
            "村/社区": village, "监护人": "陈大", "联系电话": "13812340000"}


def _file(tmp_path, rows):
    path = write_population_list(tmp_path / "list.xlsx", rows)
    return SimpleUploadedFile("list.xlsx", path.read_bytes())


def _list(world, village, **kw):
    defaults = {"original_name": "l.xlsx", "status": PopulationList.Status.COMMITTED}
    defaults.update(kw)
    return PopulationList.objects.create(area=world.area, subdistrict=village.subdistrict if village else None,
                                         village=village, **defaults)


def _entry(world, village, record=None, **kw):
    record = record or _list(world, village)
    defaults = {"name": "候选", "gender": "M", "birth_date": datetime.date(2015, 6, 1),
                "candidate_kind": Entry.Kind.NOT_ENROLLED}
    defaults.update(kw)
    return Entry.objects.create(population_list=record, village=village, **defaults)


def test_village_uploads_previews_confirms_and_verifies(client, world, tmp_path):
    client.force_login(world.village)
    response = client.post(reverse("students:population"), {"file": _file(tmp_path, [_row()])})
    record = PopulationList.objects.get()
    job = Job.objects.get(kind="students.population_preview")
    # the upload starts the matching job; the job's page, once done, goes on to the preview
    assert response.url == reverse("jobs:detail", args=[job.pk])
    response = client.get(response.url)
    assert response.url == reverse("students:population_detail", args=[record.pk])
    page = client.get(response.url).content.decode()
    assert "待确认导入" in page and 'id="count-new">1<' in page
    response = client.post(reverse("students:population_commit", args=[record.pk]), {"mode": "all"}, follow=True)
    assert "名单已导入：在读 0 名，待核实 1 名" in response.content.decode()
    entry = Entry.objects.get()
    candidates = client.get(reverse("students:population_candidates")).content.decode()
    assert "陈小虎" in candidates and "411503" in candidates and build_id("411503", datetime.date(2015, 6, 1), 601) not in candidates
    response = client.post(reverse("students:population_entry", args=[entry.pk]),
                           {"decision": Entry.Status.DROPPED_OUT, "note": "2025年起在家务农"})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.status == Entry.Status.DROPPED_OUT and entry.student.status == Student.Status.DROPPED_OUT


def test_verify_form_shows_the_proof_rule(client, world):
    entry = _entry(world, world.v1)
    client.force_login(world.village)
    response = client.post(reverse("students:population_entry", args=[entry.pk]), {"decision": Entry.Status.ELSEWHERE})
    assert response.status_code == 200 and "须写明就读学校" in response.content.decode()
    entry.refresh_from_db()
    assert entry.status == Entry.Status.PENDING


def test_bad_upload_is_refused_with_message(client, world):
    client.force_login(world.village)
    response = client.post(reverse("students:population"), {"file": SimpleUploadedFile("a.pdf", b"%PDF")})
    assert response.status_code == 200 and "只能上传 Excel 文件" in response.content.decode()


def test_leader_sees_but_cannot_upload_or_verify(client, world):
    entry = _entry(world, world.v1)
    client.force_login(world.leader)
    page = client.get(reverse("students:population")).content.decode()
    assert "upload-form" not in page
    assert "verify-form" not in client.get(reverse("students:population_entry", args=[entry.pk])).content.decode()
    response = client.post(reverse("students:population_entry", args=[entry.pk]), {"decision": "not_enrolled"})
    assert response.status_code == 403


def test_school_roles_have_no_population_pages(client, world):
    for user in (world.principal_a, world.teacher_a, world.nobody):
        client.force_login(user)
        assert client.get(reverse("students:population")).status_code == 403
        assert client.get(reverse("students:population_candidates")).status_code == 403


def test_population_list_scope_matrix(world, scope_matrix):
    objects = {"v1": _list(world, world.v1), "v1b": _list(world, world.v1b), "v2": _list(world, world.v2),
               "other": PopulationList.objects.create(area=world.area2, village=world.v_other, original_name="o.xlsx")}
    expected = {"village": {"v1"}, "subdistrict": {"v1", "v1b"}, "office": {"v1", "v1b", "v2"},
                "leader": {"v1", "v1b", "v2"}, "principal_a": set(), "teacher_a": set(), "sysadmin": set(),
                "nobody": set()}
    for name in ("population_detail", "population_errors"):
        scope_matrix(world, url_for=lambda r, name=name: reverse(f"students:{name}", args=[r.pk]), objects=objects,
                     expected=expected)


def test_population_entry_scope_matrix(world, scope_matrix):
    multi = _list(world, None)  # an 教育办 list across villages
    objects = {"v1": _entry(world, world.v1, multi), "v1b": _entry(world, world.v1b, multi),
               "v2": _entry(world, world.v2, multi)}
    expected = {"village": {"v1"}, "subdistrict": {"v1", "v1b"}, "office": {"v1", "v1b", "v2"},
                "leader": {"v1", "v1b", "v2"}, "principal_a": set(), "head_a": set(), "nobody": set()}
    scope_matrix(world, url_for=lambda e: reverse("students:population_entry", args=[e.pk]), objects=objects,
                 expected=expected)


def test_neighbour_cannot_commit_cancel_or_verify(client, world):
    record = _list(world, world.v1, status=PopulationList.Status.PREVIEWED)
    entry = _entry(world, world.v1)
    other_village = world.v2
    from tests import factories as f
    from kongchuo.models import Role

    cadre = f.UserFactory(username="cadre_v2")
    f.RoleAssignmentFactory(user=cadre, role=Role.VILLAGE_CADRE, village=other_village)
    client.force_login(cadre)
    assert client.post(reverse("students:population_commit", args=[record.pk]), {"mode": "all"}).status_code == 404
    assert client.post(reverse("students:population_cancel", args=[record.pk])).status_code == 404
    assert client.post(reverse("students:population_entry", args=[entry.pk]),
                       {"decision": "not_enrolled"}).status_code == 404


def test_candidates_selector_for_ledgers_is_scoped(world):
    _entry(world, world.v1)
    _entry(world, world.v2, name="远方候选")
    _entry(world, world.v1, name="已入学", candidate_kind="", status=Entry.Status.ENROLLED)
    assert [e.name for e in population_candidates(world.village)] == ["候选"]
    assert {e.name for e in population_candidates(world.office)} == {"候选", "远方候选"}
    assert not population_candidates(world.principal_a).exists()


def test_candidates_page_query_count_is_constant(client, world, django_assert_max_num_queries):
    record = _list(world, world.v1)
    for i in range(30):
        _entry(world, world.v1, record, name=f"候选{i}", id_number=f"X{i}")
    client.force_login(world.office)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("students:population_candidates"))
    assert response.status_code == 200 and response.content.decode().count("候选") >= 30


def test_population_index_query_count_is_constant(client, world, django_assert_max_num_queries):
    for _ in range(12):
        _list(world, world.v1)
    client.force_login(world.subdistrict)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("students:population")).status_code == 200


def test_workbench_panels(client, world):
    _entry(world, world.v1)
    client.force_login(world.village)
    body = client.get(reverse("workbench")).content.decode()
    assert 'data-panel="学籍比对"' in body and "待核实 1" in body
    client.force_login(world.principal_a)
    body = client.get(reverse("workbench")).content.decode()
    assert 'data-panel="学籍导入"' in body and 'data-panel="学籍比对"' not in body
