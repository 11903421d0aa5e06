"""Every hostile spreadsheet of the corpus against every entry point that reads one: the 学籍 import page, the
学籍比对 (population list) page, `import_students` and `import_population`. A limit is a Chinese form error / exit
status 2 naming the limit; nothing is recorded; never a 500; and what is safe to read is read."""
import datetime
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from kongchuo.models import Job
from openpyxl import load_workbook

from students.idnumbers import build as build_id
from students.models import ImportBatch, PopulationEntry, PopulationList, Student
from tests.hostile import spreadsheets as corpus

NATIONAL_HEADER = ["姓名", "性别", "出生日期", "身份证件号", "班级", "成员1姓名", "成员1关系"]
POPULATION_HEADER = ["姓名", "性别", "出生日期", "身份证件号", "村/社区", "监护人", "联系电话"]
ENTRY_POINTS = ("web_national", "web_population", "cli_national", "cli_population")


def _rows(kind):
    if kind == "national":
        return [["王小明", "男", "2017-03-04", build_id("411503", datetime.date(2017, 3, 4), 201), "三年级(1)班",
                 "王大山", "父亲"]]
    birth = datetime.date(2015, 6, 1)
    return [["陈小虎", "男", birth.isoformat(), build_id("411503", birth, 601), "胡洼村", "陈大", "13812340000"]]


@pytest.fixture(scope="session")
def hostile_files(tmp_path_factory):
    """Each corpus file built once per column set (the 1.2 GB sheet and the 10,000-sheet file take ~1 s each)."""
    cache = {}

    def get(name, kind):
        key = (name, kind)
        if key not in cache:
            builder = dict((n, b) for n, b, _ in corpus.CORPUS)[name]
            header = NATIONAL_HEADER if kind == "national" else POPULATION_HEADER
            cache[key] = builder(tmp_path_factory.mktemp(f"{name}_{kind}"), header, _rows(kind))
        return cache[key]
    return get


@pytest.fixture(autouse=True)
def _private_root(settings, tmp_path):
    settings.KONGCHUO_PRIVATE_ROOT = str(tmp_path / "private")


def _upload(path):
    return SimpleUploadedFile(path.name, path.read_bytes())


def _page_text(response):
    return re.sub(r"\s+", " ", response.content.decode())


def run_entry_point(entry, path, client, world):
    """(outcome, text, engine): outcome "refused" (form error, nothing recorded), "failed" (a failed preview / exit
    2), "read" (a preview); text is what the user sees."""
    if entry.startswith("web"):
        national = entry == "web_national"
        user, url, model = ((world.principal_a, "students:import", ImportBatch) if national
                            else (world.village, "students:population", PopulationList))
        client.force_login(user)
        response = client.post(reverse(url), {"file": _upload(path)})
        assert response.status_code in (200, 302), response.status_code
        if response.status_code == 200:
            text = _page_text(response)
            assert not model.objects.exists()
            return "refused", text, None
        # the upload starts the preview job (kongchuo/jobs); its page shows a refusal or goes on to the preview
        job = Job.objects.latest("pk")
        assert response.url == reverse("jobs:detail", args=[job.pk])
        page = client.get(response.url)
        if job.status == Job.Status.FAILED:
            text = _page_text(page)
            assert page.status_code == 200 and job.message in text
            assert not model.objects.exists()
            return "refused", job.message, None
        assert job.status == Job.Status.DONE and page.status_code == 302
        record = model.objects.get()
        page = client.get(page.url)
        assert page.status_code == 200
        if record.status == model.Status.FAILED:
            assert record.message and record.message in page.content.decode()
            return "failed", record.message, None
        return "read", _page_text(page), record.details.get("engine")
    command, option, target = (("import_students", "--school", world.school_a.code) if entry == "cli_national"
                               else ("import_population", "--village", world.v1.code))
    out = io.StringIO()
    try:
        call_command(command, str(path), option, target, stdout=out)
    except CommandError as exc:
        if exc.returncode == 2:
            return "refused", str(exc), None
        assert exc.returncode == 1  # rows with errors: the file itself was read
    text = out.getvalue()
    engine = re.search(r"读取方式 (\w+)", text)
    return "read", text, engine and engine.group(1)


CASES = [(name, entry) for name, _, _ in corpus.CORPUS for entry in ENTRY_POINTS]


@pytest.mark.parametrize("name,entry", CASES, ids=[f"{n}-{e}" for n, e in CASES])
def test_hostile_spreadsheet_at_every_entry_point(name, entry, client, world, hostile_files):
    expected, detail = dict((n, e) for n, _, e in corpus.CORPUS)[name]
    kind = "national" if entry.endswith("national") else "population"
    outcome, text, engine = run_entry_point(entry, hostile_files(name, kind), client, world)
    if expected == corpus.READ:
        assert outcome == "read", text[:300]
        assert engine == detail
        return
    # a refusal or a failure: on the page or as the command's error, in Chinese, naming what is wrong
    assert outcome == ("refused" if entry.startswith("cli") or expected == corpus.REFUSED else "failed"), text[:300]
    assert detail in text
    assert re.search(r"[\u4e00-\u9fff]", text) and "Traceback" not in text and "Internal Server Error" not in text
    assert not Student.objects.filter(name__in=["王小明", "陈小虎"]).exists()
    assert not PopulationEntry.objects.exists()


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_too_many_rows_is_refused_naming_the_limit(entry, settings, client, world, tmp_path):
    settings.KONGCHUO_IMPORT_MAX_ROWS = 50
    kind = "national" if entry.endswith("national") else "population"
    header = NATIONAL_HEADER if kind == "national" else POPULATION_HEADER
    path = corpus.too_many_rows(tmp_path, header, _rows(kind), count=60)
    outcome, text, _ = run_entry_point(entry, path, client, world)
    assert outcome == "refused" and "表格行数超过上限：每个文件最多 50 行" in text


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_byte_budget_is_a_setting_and_refuses_from_the_directory(entry, settings, client, world, tmp_path):
    settings.KONGCHUO_IMPORT_MAX_XML_MB = 1
    kind = "national" if entry.endswith("national") else "population"
    header = NATIONAL_HEADER if kind == "national" else POPULATION_HEADER
    path = corpus.too_many_rows(tmp_path, header, _rows(kind), count=6000)  # ~1.4 MB of sheet XML, honest
    outcome, text, _ = run_entry_point(entry, path, client, world)
    assert outcome == "refused" and "解压后全部内容最多 1 MB" in text


def test_commit_reads_the_stored_file_through_the_guard_again(settings, client, world, hostile_files):
    client.force_login(world.principal_a)
    client.post(reverse("students:import"), {"file": _upload(hostile_files("honest", "national"))})
    batch = ImportBatch.objects.get()
    settings.KONGCHUO_IMPORT_MAX_COLUMNS = 3  # the limit changed between preview and commit
    response = client.post(reverse("students:import_commit", args=[batch.pk]), {"mode": "all"}, follow=True)
    assert response.status_code == 200 and "表格列数超过上限：最多 3 列" in response.content.decode()
    assert not Student.objects.filter(name="王小明").exists()


# ---------------------------------------------------------------------------------------------- error reports
def _report_cells(response):
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(response.content)).active
    return [v for row in ws.iter_rows(values_only=True) for v in row if isinstance(v, str)]


def test_error_report_with_control_characters_downloads_clean(client, world, hostile_files):
    client.force_login(world.principal_a)
    client.post(reverse("students:import"), {"file": _upload(hostile_files("control_characters", "national"))})
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.PREVIEWED and batch.errors
    cells = _report_cells(client.get(reverse("students:import_errors", args=[batch.pk])))
    assert any("[31m红" in c for c in cells)
    assert not any(re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", c) for c in cells)


def test_population_error_report_with_control_characters_downloads_clean(client, world, hostile_files):
    client.force_login(world.village)
    client.post(reverse("students:population"), {"file": _upload(hostile_files("control_characters", "population"))})
    record = PopulationList.objects.get()
    assert record.status == PopulationList.Status.PREVIEWED and record.errors
    cells = _report_cells(client.get(reverse("students:population_errors", args=[record.pk])))
    assert any("[31m红" in c for c in cells)
    assert not any(re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", c) for c in cells)


@pytest.mark.parametrize("entry", ["web_national", "web_population"])
def test_error_report_of_formula_strings_is_inert(entry, client, world, hostile_files):
    national = entry == "web_national"
    client.force_login(world.principal_a if national else world.village)
    client.post(reverse("students:import" if national else "students:population"),
                {"file": _upload(hostile_files("formula_strings", "national" if national else "population"))})
    record = (ImportBatch if national else PopulationList).objects.get()
    assert record.errors
    url = reverse("students:import_errors" if national else "students:population_errors", args=[record.pk])
    cells = _report_cells(client.get(url))
    values = [e["value"] for e in record.errors if e["value"]]
    assert values and all(not c.startswith(corpus.FORMULAS_TRIGGERS) for c in cells)
    assert any(c.startswith("'=") or c.startswith("'+") or c.startswith("'@") or c.startswith("'-") for c in cells)
