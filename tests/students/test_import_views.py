"""学籍导入 pages: upload → preview → confirm, bad uploads, error report, scope (own visible, neighbour 404)."""
import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from kongchuo.models import AccessLog, Job
from students.idnumbers import build as build_id
from students.importing.samples import write_national
from students.models import ImportBatch, Student


@pytest.fixture(autouse=True)
def _private_root(settings, tmp_path):
    settings.KONGCHUO_PRIVATE_ROOT = str(tmp_path / "private")


def _id(seq=100):
    return build_id("411503", datetime.date(2017, 3, 4), seq * 2 + 1)


def _row(seq=100, **over):
    row = {"姓名": f"王小{seq}", "性别": "男", "出生日期": "2017-03-04", "身份证件号": _id(seq), "班级": "三年级(1)班",
           "成员1姓名": "王大山", "成员1关系": "父亲", "成员1联系电话": "13912345678"}
    row.update(over)
    return row


def _xlsx(tmp_path, rows, name="export.xlsx"):
    path = write_national(tmp_path / name, rows)
    return SimpleUploadedFile(name, path.read_bytes())


def _batch(school, **kw):
    defaults = {"original_name": "x.xlsx", "status": ImportBatch.Status.COMMITTED, "new_count": 3}
    defaults.update(kw)
    return ImportBatch.objects.create(school=school, **defaults)


def test_upload_preview_then_confirm(client, world, tmp_path):
    client.force_login(world.principal_a)
    response = client.post(reverse("students:import"), {"file": _xlsx(tmp_path, [_row(), _row(101)])})
    batch = ImportBatch.objects.get()
    job = Job.objects.get(kind="students.import_preview")
    # the upload starts the preview job; the job's page, once done, goes on to the preview
    assert response.status_code == 302 and response.url == reverse("jobs:detail", args=[job.pk])
    response = client.get(response.url)
    assert response.status_code == 302 and response.url == reverse("students:import_detail", args=[batch.pk])
    page = client.get(response.url).content.decode()
    assert "待确认导入" in page and 'id="count-new">2<' in page and "确认导入" in page
    assert not Student.objects.filter(id_number=_id()).exists()
    response = client.post(reverse("students:import_commit", args=[batch.pk]), {"mode": "all"}, follow=True)
    assert "导入完成：新增 2 名" in response.content.decode()
    assert Student.objects.filter(id_number__in=[_id(), _id(101)]).count() == 2
    assert AccessLog.objects.filter(action="import", object_id=str(batch.pk)).exists()


def test_preview_lists_each_error_with_row_and_reason_and_offers_valid_only(client, world, tmp_path):
    client.force_login(world.principal_a)
    client.post(reverse("students:import"), {"file": _xlsx(tmp_path, [_row(), _row(101, 出生日期="2017-02-30")])})
    batch = ImportBatch.objects.get()
    page = client.get(reverse("students:import_detail", args=[batch.pk])).content.decode()
    assert "<td class=\"text-nowrap\">5</td>" in page and "出生日期" in page and "没有这一天" in page and "仅导入有效行" in page
    response = client.post(reverse("students:import_commit", args=[batch.pk]), {"mode": "all"}, follow=True)
    assert "未导入任何数据" in response.content.decode()
    assert not Student.objects.filter(id_number=_id()).exists()
    client.post(reverse("students:import_commit", args=[batch.pk]), {"mode": "valid_only"})
    assert Student.objects.filter(id_number=_id()).exists() and not Student.objects.filter(id_number=_id(101)).exists()


def test_error_report_downloads_as_xlsx_with_escaped_cells(client, world):
    batch = _batch(world.school_a, invalid_count=1, total_rows=1, errors=[
        {"row": 7, "column": "姓名", "value": "=HYPERLINK(\"http://x\")", "message": "不能为空"}])
    client.force_login(world.principal_a)
    response = client.get(reverse("students:import_errors", args=[batch.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(response.content)).active
    rows = [r for r in ws.iter_rows(values_only=True)]
    assert ("行号", "列", "原值", "问题") in rows
    assert (7, "姓名", "'=HYPERLINK(\"http://x\")", "不能为空") in rows
    assert AccessLog.objects.filter(action="export", object_id=str(batch.pk)).exists()


@pytest.mark.parametrize("name,content,message", [
    ("a.csv", b"a,b", "只能上传 Excel 文件"), ("a.xlsx", b"hello", "不是 Excel 表格"), ("a.docx", b"PK\x03\x04", "只能上传"),
])
def test_bad_uploads_show_a_message_not_an_error_page(client, world, name, content, message):
    client.force_login(world.principal_a)
    response = client.post(reverse("students:import"), {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 200 and message in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_twenty_megabyte_upload_is_refused_cleanly(client, world):
    client.force_login(world.principal_a)
    big = SimpleUploadedFile("big.xlsx", b"PK\x03\x04" + b"\0" * (20 * 1024 * 1024))
    response = client.post(reverse("students:import"), {"file": big})
    assert response.status_code == 200 and "文件过大" in response.content.decode()


def test_damaged_excel_becomes_a_failed_batch_with_reason(client, world, tmp_path):
    client.force_login(world.principal_a)
    path = tmp_path / "x.xlsx"
    write_national(path, [], columns=["什么", "都", "不是"])
    response = client.post(reverse("students:import"), {"file": SimpleUploadedFile("x.xlsx", path.read_bytes())},
                           follow=True)
    assert "文件无法导入" in response.content.decode() and "未找到表头行" in response.content.decode()


def test_cancel_discards_the_preview(client, world, tmp_path):
    client.force_login(world.principal_a)
    client.post(reverse("students:import"), {"file": _xlsx(tmp_path, [_row()])})
    batch = ImportBatch.objects.get()
    client.post(reverse("students:import_cancel", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.CANCELLED and not batch.file


def test_template_download_has_the_national_columns(client, world):
    client.force_login(world.principal_a)
    response = client.get(reverse("students:import_template"))
    ws = load_workbook(io.BytesIO(response.content)).active
    header = [c for c in list(ws.iter_rows(values_only=True))[1] if c]
    assert header[:3] == ["学校标识码", "姓名", "性别"] and "成员2身份证件号" in header


def test_import_list_forbidden_for_roles_without_imports(client, world):
    for user in (world.teacher_a, world.head_a, world.village, world.nobody):
        client.force_login(user)
        assert client.get(reverse("students:import")).status_code == 403


def test_office_sees_area_batches_read_only(client, world):
    batch = _batch(world.school_a, status=ImportBatch.Status.PREVIEWED)
    client.force_login(world.office)
    page = client.get(reverse("students:import")).content.decode()
    assert "upload-form" not in page and reverse("students:import_detail", args=[batch.pk]) in page
    detail = client.get(reverse("students:import_detail", args=[batch.pk])).content.decode()
    assert "commit-button" not in detail
    assert client.post(reverse("students:import_commit", args=[batch.pk]), {"mode": "all"}).status_code == 403


def test_import_detail_scope_matrix(world, scope_matrix):
    objects = {"A": _batch(world.school_a), "B": _batch(world.school_b), "C": _batch(world.school_c),
               "D": _batch(world.school_d)}
    expected = {"principal_a": {"A"}, "principal_b": {"B"}, "office": {"A", "B", "C"}, "teacher_a": set(),
                "head_a": set(), "gradelead_a": set(), "leader": set(), "subdistrict": set(), "village": set(),
                "sysadmin": set(), "nobody": set()}
    scope_matrix(world, url_for=lambda b: reverse("students:import_detail", args=[b.pk]), objects=objects,
                 expected=expected)
    scope_matrix(world, url_for=lambda b: reverse("students:import_errors", args=[b.pk]), objects=objects,
                 expected={"principal_a": {"A"}, "principal_b": {"B"}, "office": {"A", "B", "C"}})


def test_neighbour_cannot_commit_or_cancel(client, world):
    batch = _batch(world.school_a, status=ImportBatch.Status.PREVIEWED)
    client.force_login(world.principal_b)
    assert client.post(reverse("students:import_commit", args=[batch.pk]), {"mode": "all"}).status_code == 404
    assert client.post(reverse("students:import_cancel", args=[batch.pk])).status_code == 404
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.PREVIEWED


def test_import_list_query_count_is_constant(client, world, django_assert_max_num_queries):
    for _ in range(15):
        _batch(world.school_a)
    client.force_login(world.principal_a)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("students:import")).status_code == 200


def test_import_detail_query_count_is_constant(client, world, django_assert_max_num_queries):
    errors = [{"row": i, "column": "姓名", "value": "", "message": "不能为空"} for i in range(500)]
    batch = _batch(world.school_a, errors=errors, invalid_count=500)
    client.force_login(world.principal_a)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("students:import_detail", args=[batch.pk]))
    assert page.status_code == 200 and "第 1 / 5 页" in page.content.decode()


def test_import_records_are_not_in_the_admin(client, world):
    # issue 9: import records keep children's rows (errors with names and ID numbers): scoped import pages only
    batch = _batch(world.school_a)
    client.force_login(world.sysadmin)
    assert client.get("/admin/students/importbatch/").status_code == 404
    assert client.get(f"/admin/students/importbatch/{batch.pk}/change/").status_code == 404
    client.force_login(world.principal_a)
    assert client.get(reverse("students:import_detail", args=[batch.pk])).status_code == 200
