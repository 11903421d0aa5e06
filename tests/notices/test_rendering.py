"""The printed notice: A4 page pairs, the right font everywhere, no tofu, escaped and wrapped input, reprints."""
import io
import re
import subprocess

import pikepdf
import pytest
from django.template.loader import render_to_string

from notices import pdfmerge, rendering
from notices.models import NoticeKind
from notices.services import notice_cancel, notice_issue
from tests import factories as f
from tests.notices.conftest import FIXED_NOW

pytestmark = pytest.mark.django_db

A4 = (595.28, 841.89)


def pdf_text(data):
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


def fonts_of(data):
    pdf = pikepdf.open(io.BytesIO(data))
    fonts = {}
    for page in pdf.pages:
        for font in page.Resources.Font.values():
            fonts[str(font.BaseFont)] = font
    return pdf, fonts


@pytest.fixture
def notice(world, case_a1, guardian_of):
    return notice_issue(case=case_a1, actor=world.principal_a, guardian=guardian_of(case_a1), kind=NoticeKind.RETURN,
                        now=FIXED_NOW)


def test_notice_pdf_is_an_a4_page_pair_with_all_parts(notice):
    data = rendering.render_pdf([notice])
    pdf, _ = fonts_of(data)
    assert len(pdf.pages) == 2
    assert [round(float(x), 1) for x in pdf.pages[0].MediaBox[2:]] == [round(A4[0], 1), round(A4[1], 1)]
    text = re.sub(r"\s+", "", pdf_text(data))
    for part in ("劝返复学通知书", notice.number, "张保杰之父", "张保杰", "2026年9月1日", "2026年9月5日、9月12日",
                 "第五条、第十一条", "第五十八条", "未成年人保护法", "7日内", "制约措施", "上天梯管理区",
                 "送达回证", "受送达人签名", "送达人签名", "送达地点", "送达时间", "委托村干部送达", "学校印章"):
        assert part in text, part


def test_notice_pdf_uses_only_the_configured_serif_font_without_missing_glyphs(notice):
    _, fonts = fonts_of(rendering.render_pdf([notice]))
    # the cut-down face of Noto Serif CJK SC (GB 2312), named first in every stack (notices/fonts.py)
    assert fonts and all(name.endswith("+KC-Notice-Common") for name in fonts)
    assert all(font.get("/Encoding") == "/Identity-H" for font in fonts.values())  # WeasyPrint re-encodes tofu


def test_rare_name_character_prints_from_the_full_face_on_one_page_pair(world, make_case, guardian_of):
    case = make_case(world.a2, guardian=False)
    f.FamilyMemberFactory(student=world.a2, name="王喆堃", relation="父亲")  # not in GB 2312
    notice = notice_issue(case=case, actor=world.principal_a, guardian=guardian_of(case), kind=NoticeKind.RETURN,
                          now=FIXED_NOW)
    data = rendering.render_pdf([notice])
    pdf, fonts = fonts_of(data)
    assert len(pdf.pages) == 2
    assert {name.split("+")[1] for name in fonts} == {"KC-Notice-Common", "Noto-Serif-CJK-SC"}
    assert all(font.get("/Encoding") == "/Identity-H" for font in fonts.values())
    assert "王喆堃" in pdf_text(data)


def test_common_face_covers_gb2312_and_is_built_once(settings):
    from notices import fonts as notice_fonts

    path = notice_fonts.common_font_path(rendering.font_family())
    assert path is not None and path.stat().st_size > 1_000_000
    assert notice_fonts.common_font_path(rendering.font_family()) == path
    assert len(notice_fonts.codepoints()) > 7000


def test_missing_glyph_is_detected_by_the_tofu_check(world, make_case, guardian_of):
    case = make_case(world.a2, guardian=False)
    f.FamilyMemberFactory(student=world.a2, name="王\U000F0001", relation="父亲")  # private-use: no font has it
    notice = notice_issue(case=case, actor=world.principal_a, guardian=guardian_of(case), kind=NoticeKind.RETURN,
                          now=FIXED_NOW)
    _, fonts = fonts_of(rendering.render_pdf([notice]))
    assert any(font.get("/Encoding") != "/Identity-H" for font in fonts.values())


def test_every_font_stack_names_the_configured_family(settings):
    settings.KONGCHUO = {**settings.KONGCHUO, "NOTICE_FONT_FAMILY": "FangSong GB2312"}
    css = re.sub(r"@font-face\s*\{[^}]*\}", "", str(rendering.css()))  # a descriptor there, not a stack
    stacks = re.findall(r"font-family:\s*([^;}]+)", css)
    assert len(stacks) >= 2 and all('"FangSong GB2312"' in s for s in stacks)
    assert "@bottom-right" in css  # the margin box has its own stack


def test_font_setting_cannot_inject_css(settings):
    with pytest.raises(ValueError):
        rendering.font_stack('x"; } body { display:none')


def test_hostile_long_names_render_escaped_on_one_page_pair(world, make_case, guardian_of):
    case = make_case(world.a2, guardian=False)
    nasty = '<b onload="x">' + "W" * 36
    f.FamilyMemberFactory(student=world.a2, name=nasty[:50], relation="爷爷" * 10)
    world.a2.name = "李" * 40 + "'\"<i>"
    world.a2.save()
    notice = notice_issue(case=case, actor=world.principal_a, guardian=guardian_of(case), kind=NoticeKind.RETURN,
                          now=FIXED_NOW)
    html = rendering.render_html([rendering.document_data(notice)])
    assert "<b onload" not in html and "&lt;b onload=&quot;x&quot;&gt;" in html and "<i>" not in html
    data = rendering.render_pdf([notice])
    pdf, _ = fonts_of(data)
    assert len(pdf.pages) == 2
    assert '<bonload="x">WWWW' in re.sub(r"\s+", "", pdf_text(data))


def test_template_text_with_markup_is_escaped(world, case_a1, guardian_of):
    from notices.services import notice_template_save

    notice_template_save(area=world.area, kind=NoticeKind.RETURN, actor=world.office, title="劝返<u>复学</u>通知书",
                         body="<script>x</script>{监护人}：请送{学生}返校。")
    notice = notice_issue(case=case_a1, actor=world.principal_a, guardian=guardian_of(case_a1),
                          kind=NoticeKind.RETURN, now=FIXED_NOW)
    html = rendering.render_html([rendering.document_data(notice)])
    assert "<script>x" not in html and "&lt;script&gt;x" in html and "<u>" not in html


def test_reprint_is_identical_after_case_and_template_change(world, notice):
    from notices.services import notice_template_save

    first = rendering.cached_pdf(notice)
    world.a1.name = "改名后"
    world.a1.save()
    notice_template_save(area=world.area, kind=NoticeKind.RETURN, actor=world.office, title="新标题", body="{学生}")
    notice.refresh_from_db()
    assert rendering.cached_pdf(notice) == first
    assert pdf_text(rendering.render_pdf([notice])) == pdf_text(first)  # even re-rendered from scratch


def test_cancelled_notice_prints_with_banner_and_same_number(world, notice):
    rendering.cached_pdf(notice)
    notice_cancel(notice=notice, actor=world.principal_a, reason="监护人有误", now=FIXED_NOW)
    notice.refresh_from_db()
    text = re.sub(r"\s+", "", pdf_text(rendering.cached_pdf(notice)))
    assert "本通知书已作废（监护人有误）" in text and notice.number in text


def test_batch_is_one_page_pair_per_notice_with_one_shared_font(world, make_case, guardian_of):
    notices = []
    for student in (world.a1, world.a2, world.a3):
        case = make_case(student)
        notices.append(notice_issue(case=case, actor=world.principal_a, guardian=guardian_of(case),
                                    kind=NoticeKind.RETURN, now=FIXED_NOW))
    data = rendering.batch_pdf(notices)
    pdf = pikepdf.open(io.BytesIO(data))
    assert len(pdf.pages) == 6
    fonts = [font for page in pdf.pages for font in page.Resources.Font.values()]
    font_files = {font.DescendantFonts[0].FontDescriptor.FontFile3.objgen for font in fonts}
    assert len(font_files) == len({str(font.BaseFont) for font in fonts}) == 1  # one subset shared by all pages
    assert str(fonts[0].BaseFont).endswith("+KC-Notice-Common")
    text = pdf_text(data)
    positions = [text.find(n.number) for n in notices]
    assert -1 not in positions and positions == sorted(positions)


def test_batch_pages_look_exactly_like_the_single_notice(world, make_case, guardian_of, tmp_path):
    notices = []
    for student in (world.a1, world.a2):
        case = make_case(student)
        notices.append(notice_issue(case=case, actor=world.principal_a, guardian=guardian_of(case),
                                    kind=NoticeKind.RETURN, now=FIXED_NOW))
    batch = rendering.batch_pdf(notices)
    single = rendering.cached_pdf(notices[1])

    def raster(data, page, name):
        path = tmp_path / f"{name}.pdf"
        path.write_bytes(data)
        subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", str(page), "-l", str(page), "-singlefile", str(path),
                        str(tmp_path / name)], check=True)
        return (tmp_path / f"{name}.png").read_bytes()

    assert raster(batch, 3, "batch") == raster(single, 1, "single")
    assert raster(batch, 4, "batch4") == raster(single, 2, "single2")


def test_merge_parses_both_width_array_forms():
    pdf = pikepdf.new()
    w = pikepdf.Array([3, pikepdf.Array([500, 600]), 10, 12, 1000])
    assert pdfmerge._widths(w) == {3: 500.0, 4: 600.0, 10: 1000.0, 11: 1000.0, 12: 1000.0}
    assert pdfmerge._widths(pdfmerge._w_array({1: 10, 2: 20, 5: 50})) == {1: 10.0, 2: 20.0, 5: 50.0}
    pdf.close()


def test_latin_baseline_has_same_structure_without_cjk(notice):
    from notices import bench, pdfworker

    html = bench.document_html(rendering.document_data(notice), latin=True)
    assert not re.search(r"[\u4e00-\u9fff]", re.sub(r"<style>.*?</style>", "", html, flags=re.S))
    assert html.count("<p") == bench.document_html(rendering.document_data(notice)).count("<p")
    data = pdfworker.write_pdf(html)
    assert len(pikepdf.open(io.BytesIO(data)).pages) == 2
    _, fonts = fonts_of(data)
    assert all("Liberation" in name for name in fonts)


def test_render_many_splits_chunks_into_page_pairs_that_print_like_single_renders(world, make_case, guardian_of,
                                                                                  tmp_path):
    notices = []
    for student in (world.a1, world.a2, world.a3):
        case = make_case(student)
        notices.append(notice_issue(case=case, actor=world.principal_a, guardian=guardian_of(case),
                                    kind=NoticeKind.RETURN, now=FIXED_NOW))
    parts = rendering.render_many(notices)
    assert [len(pikepdf.open(io.BytesIO(p)).pages) for p in parts] == [2, 2, 2]
    assert notices[1].number in pdf_text(parts[1]) and notices[0].number not in pdf_text(parts[1])

    def raster(data, name):
        path = tmp_path / f"{name}.pdf"
        path.write_bytes(data)
        subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", "-singlefile", str(path),
                        str(tmp_path / name)], check=True)
        return (tmp_path / f"{name}.png").read_bytes()

    assert raster(parts[1], "split") == raster(rendering.render_pdf([notices[1]]), "alone")
