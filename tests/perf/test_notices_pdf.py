"""Notice PDF speed (`make bench`; not in the default run). Figures go to the bench table (tests/perf/bench_table.py).

- single notice: p50 of one page pair in Noto Serif CJK SC vs the same layout with a Latin font (the Latin
  twin, measured alternately in the same run); budget ratio ≤ 1.5.
- batch of 500: the batch view's path (stored PDFs joined with one shared font) ≤ 10 s; the first rendering
  of 500 notices (worker processes; normally spread over the days they were issued) is printed for information.
"""
import io
import os
import time

import pikepdf
import pytest

from notices import bench, rendering
from tests.perf.bench_table import is_small, record
from notices.models import Notice, NoticeKind
from notices.services import notice_issue
from tests.notices.conftest import FIXED_NOW, guardian_of, make_case  # noqa: F401 - fixtures used below

BATCH = int(os.environ.get("KC_BENCH_NOTICES", "100" if is_small() else "500"))
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚"
GIVEN = "子涵浩宇欣怡梓萱一诺宇轩雨桐思远佳怡俊杰子轩梦琪晨阳雅静博文嘉怡明哲紫涵天佑若曦家豪诗涵志强秀英建华丽娟海燕"


def _name(i, salt):
    return SURNAMES[(i * 7 + salt) % len(SURNAMES)] + GIVEN[(i * 13 + salt) % len(GIVEN)] + GIVEN[(i * 5 + salt * 3) % len(GIVEN)]


def test_notice_single_pdf_vs_latin_baseline():
    p50, baseline = bench.time_single(bench.sample_document(), runs=int(os.environ.get("KC_BENCH_RUNS", "25")))
    ratio = p50 / baseline
    record("notice PDF, one page pair, p50 (s)", p50, budget=1.5 * baseline, baseline=baseline,
           baseline_label="same layout, Latin font",
           note=f"budget = 1.5 × the Latin baseline; ratio {ratio:.2f} (render from scratch; a reprint serves the "
                "stored PDF)")


@pytest.fixture
def many_notices(world, make_case, guardian_of):
    """One real notice issued through the service, then BATCH notices of school A with their own names and
    numbers (bulk-inserted copies: the bench measures printing, not issuing)."""
    case = make_case(world.a1)
    first = notice_issue(case=case, actor=world.principal_a, guardian=guardian_of(case), kind=NoticeKind.RETURN,
                         now=FIXED_NOW)
    copies = []
    for i in range(2, BATCH + 1):
        content = dict(first.content, guardian_name=_name(i, 1), student_name=_name(i, 2))
        copies.append(Notice(case=case, school=first.school, kind=first.kind, template=first.template, year=first.year,
                             seq=i, number_prefix=first.number_prefix, guardian=first.guardian, content=content,
                             issue_date=first.issue_date, red_header=True, status=Notice.Status.RETURNED,
                             issued_by=first.issued_by))
    Notice.objects.bulk_create(copies, batch_size=500)
    return list(Notice.objects.filter(school=first.school).select_related("template", "school").order_by("seq"))


@pytest.mark.django_db
def test_notice_batch_500(many_notices):
    notices = many_notices
    start = time.perf_counter()
    rendering.batch_pdf(notices)  # first print: renders and stores every notice (worker processes)
    cold = time.perf_counter() - start
    notices = list(Notice.objects.filter(pk__in=[n.pk for n in notices]).select_related("template", "school")
                   .order_by("seq"))
    start = time.perf_counter()
    data = rendering.batch_pdf(notices)
    warm = time.perf_counter() - start
    pages = len(pikepdf.open(io.BytesIO(data)).pages)
    start = time.perf_counter()
    rendering.cached_pdf(notices[0])
    reprint = time.perf_counter() - start
    n = len(notices)
    record(f"notice batch PDF, {n} notices (s)", warm, budget=10 * n / 500,
           note=f"stored PDFs joined with one shared font subset; {len(data) / 1e6:.1f} MB, {pages} pages")
    record(f"notice first rendering, {n} notices (s)", cold, budget=None,
           note=f"{cold / n * 1000:.0f} ms per notice with up to {os.cpu_count()} worker processes; normally done "
                "once per notice right after it is issued")
    record("notice reprint (stored PDF) (s)", reprint, budget=0.1)
    assert pages == 2 * n
