import datetime
import io

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from kongchuo.models import AccessLog, Job

from .history import build

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a: datetime.date(2026, 12, 1))


def post(client, user, **data):
    client.force_login(user)
    return client.post(reverse("reports:rosters"), {"kind": "dropout", "month": "2026-10", "purpose": "月报",
                                                    **data})


def test_school_admin_export_job_downloads_only_their_school(world, client):
    build(world)
    resp = post(client, world.principal_a, school=world.school_a.pk)
    job = Job.objects.get()
    assert resp.status_code == 302 and resp["Location"] == reverse("jobs:detail", args=[job.pk])
    assert job.status == Job.Status.DONE, job.message
    download = client.get(reverse("jobs:download", args=[job.pk]))
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    names = {r[7] for r in wb.worksheets[0].iter_rows(min_row=5, values_only=True) if isinstance(r[0], int)}
    assert names == {world.a1.name, world.a3.name}
    log = AccessLog.objects.filter(object_type="reports.roster").get()
    assert log.user == world.principal_a and log.purpose == "月报" and log.scope == world.school_a.name
    assert "2026-10" in log.detail and "2 行" in log.detail and "辍学学生花名册" in log.detail
    client.force_login(world.principal_b)  # a neighbour's job answers 404
    assert client.get(reverse("jobs:detail", args=[job.pk])).status_code == 404
    assert client.get(reverse("jobs:download", args=[job.pk])).status_code == 404


def test_school_admin_cannot_pick_a_neighbours_school(world, client):
    resp = post(client, world.principal_a, school=world.school_b.pk)
    assert resp.status_code == 200 and "学校" in resp.content.decode() and not Job.objects.exists()


def test_area_wide_unmasked_export_is_refused_with_a_reason(world, client):
    resp = post(client, world.office, unmask="on")
    assert resp.status_code == 200 and "审批" in resp.content.decode() and not Job.objects.exists()


def test_purpose_is_required_and_bad_month_named(world, client):
    resp = post(client, world.office, purpose="  ", month="2026-13")
    text = resp.content.decode()
    assert resp.status_code == 200 and "请填写导出用途" in text and "月份" in text


def test_page_hidden_from_roles_without_export(world, client):
    client.force_login(world.teacher_a)
    assert client.get(reverse("reports:rosters")).status_code == 404
    client.force_login(world.office)
    page = client.get(reverse("reports:rosters")).content.decode()
    assert "花名册导出" in page and "控辍保学工作台账" in page


def test_cli_writes_the_workbook_and_logs(world, tmp_path):
    build(world)
    out = tmp_path / "ledger.xlsx"
    call_command("export_roster", "--kind", "ledger", "--month", "2026-11", "--user", "office", "-o", str(out))
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[0] == "汇总" and len(wb.sheetnames) == 4
    assert AccessLog.objects.filter(object_type="reports.roster", user=world.office).count() == 1


@pytest.mark.parametrize("args, message", [
    (["--kind", "nope"], "名册类型"),
    (["--kind", "dropout"], "--user"),
    (["--kind", "dropout", "--user", "ghost"], "没有用户"),
    (["--kind", "dropout", "--user", "office", "--month", "11/2026"], "月份"),
    (["--kind", "dropout", "--user", "office", "--school", "x0"], "学校标识码"),
    (["--kind", "dropout", "--user", "teacher_a"], "权限"),
])
def test_cli_bad_input_exit_status_2(world, tmp_path, args, message):
    with pytest.raises(CommandError, match=message) as err:
        call_command("export_roster", *args, "-o", str(tmp_path / "x.xlsx"))
    assert err.value.returncode == 2
