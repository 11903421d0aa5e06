"""The job page in a real browser: static/js/job_progress.js polls the status and moves the bar, shows 取消 while
running and 重试 when failed — without a reload."""
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kongchuo.jobs.services import job_start
from kongchuo.models import Job
from tests import factories as f


@pytest.mark.django_db(transaction=True)
def test_job_page_follows_the_job_without_reload(world, browser, live_server, screenshot, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    job = job_start(actor=world.sysadmin, kind="kongchuo.selfcheck")
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, attempts=1, done=30, total=100,
                                         started=timezone.now(), heartbeat=timezone.now(), message="正在处理…")
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "sysadmin")
    page.fill("input[name=password]", f.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator("#nav-jobs-count").inner_text().startswith("1")

    page.goto(f"{live_server.url}/jobs/{job.pk}/")
    # locator waits, not wait_for_function: the page's Content-Security-Policy forbids evaluating strings
    expect(page.locator("#job-bar")).to_have_text("30%")
    assert page.locator("#job-cancel-form").is_visible() and not page.locator("#job-retry-form").is_visible()
    Job.objects.filter(pk=job.pk).update(done=60, heartbeat=timezone.now(), message="已处理 60 行")
    expect(page.locator("#job-bar")).to_have_text("60%", timeout=10000)
    assert "已处理 60 / 100" in page.locator("#job-count").inner_text()
    screenshot(page, "job_running")

    Job.objects.filter(pk=job.pk).update(status=Job.Status.FAILED, message="处理该任务的后台进程已中断。",
                                         finished=timezone.now())
    page.wait_for_selector("#job-retry-form:not(.d-none)", timeout=10000)
    assert page.locator("#job-status").inner_text() == "失败" and not page.locator("#job-cancel-form").is_visible()
    assert "后台进程已中断" in page.locator("#job-message").inner_text()
    screenshot(page, "job_failed")
    context.close()
