"""Benchmark helpers (tests/perf/test_notices_pdf.py): the Latin-font twin of a notice and timing loops.

The baseline is the same notice layout — same template, same boxes, same line count — with every CJK
character replaced by two Latin letters (a space after every second one, like words) and a Latin font.
"""
import re
import statistics
import time

from notices import pdfworker, rendering

LATIN_FAMILY = "Liberation Serif"
CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\u3000-\u303f]")
# Two letters per character and a space after every second one: the Latin page then has the same number of
# lines as the CJK page (27 + 27 on the default notice, measured with pdftotext).
SYLLABLES = ("ra", "le", "ti", "fo", "ju", "se", "no", "mi", "ka", "du")


def _latin_text(match):
    out, count = [], 0
    for ch in match.group(1):
        if CJK.match(ch):
            out.append(SYLLABLES[ord(ch) % len(SYLLABLES)])
            count += 1
            if count % 2 == 0:
                out.append(" ")
        else:
            out.append(ch)
    return ">" + "".join(out) + "<"


def latin_html(html):
    """Transliterate every text node (not the style sheet) of a rendered notice document."""
    parts = re.split(r"(<style>.*?</style>)", html, flags=re.S)
    return "".join(p if p.startswith("<style>") else re.sub(r">([^<]+)<", _latin_text, p) for p in parts)


def latin_twin(document):
    """A DocumentData whose own fields are Latin (the template's fixed labels are handled by latin_html)."""
    from dataclasses import replace

    from django.utils.safestring import mark_safe

    def lat(value):
        return re.sub(r">([^<]+)<", _latin_text, f">{value}<")[1:-1]

    return replace(document, **{name: lat(getattr(document, name)) for name in (
        "number", "title", "school_name", "guardian_name", "guardian_relation", "guardian_title", "student_name",
        "address", "issue_date_text", "receipt_note", "cancel_reason")},
        paragraphs=[mark_safe(lat(p)) for p in document.paragraphs])


def document_html(document, *, latin=False):
    if latin:
        return latin_html(rendering.render_html([latin_twin(document)], family=LATIN_FAMILY))
    return rendering.render_html([document])


def time_single(document, *, runs=15):
    """p50 seconds of one notice page pair, CJK and its Latin twin, measured alternately in the same run."""
    cjk, latin = document_html(document), document_html(document, latin=True)
    pdfworker.write_pdf(cjk)  # warm-up: font loading, first Pango layouts
    pdfworker.write_pdf(latin)
    times = {"cjk": [], "latin": []}
    for _ in range(runs):
        for key, html in (("cjk", cjk), ("latin", latin)):
            start = time.perf_counter()
            pdfworker.write_pdf(html)
            times[key].append(time.perf_counter() - start)
    return statistics.median(times["cjk"]), statistics.median(times["latin"])


def sample_document(i=1, *, guardian="张德明", student="张小明", relation="父亲"):
    """A realistic notice without the database (default wording of 劝返复学通知书)."""
    from notices.models import NoticeKind
    from notices.texts import DEFAULT_RECEIPT_NOTE, DEFAULTS, fill

    default = DEFAULTS[NoticeKind.RETURN]
    content = dict(guardian_name=guardian, guardian_relation=relation, student_name=student, child_word="儿子",
                   class_name="三年级1班", school_name="上天梯管理区土城中心小学", area_name="上天梯管理区",
                   address="上天梯管理区胡洼村23号", dropout_date_text="2026年9月1日",
                   visit_dates_text="2026年9月5日、9月12日、9月20日", visit_count=3, deadline_days=7,
                   contact_name="李文华", contact_phone="0376-6571001")
    paragraphs = fill(default["body"], content)
    salutation = f"{guardian}（学生{student}的{relation}）："
    return rendering.DocumentData(
        number=f"土城小〔2026〕第{i:03d}号", title=default["title"], school_name=content["school_name"],
        guardian_name=guardian, guardian_relation=relation, guardian_title="监护人", student_name=student,
        address=content["address"], issue_date_text="2026年11月30日", red_header=True, paragraphs=paragraphs,
        receipt_note=DEFAULT_RECEIPT_NOTE,
        density=rendering.density_for(paragraphs, salutation, title=default["title"],
                                      school_name=content["school_name"]))
