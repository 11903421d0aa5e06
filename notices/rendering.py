"""Notice → HTML (browser preview) and A4 PDF (WeasyPrint).

Everything printed comes from `Notice.content` (facts frozen at issue) and the template version the
notice used, so a reprint is the same document. The font is `settings.KONGCHUO["NOTICE_FONT_FAMILY"]`,
named in every font stack, preceded for print by its GB 2312 cut-down face (notices/fonts.py).

Speed: WeasyPrint needs ~0.1 s of CPU per notice page pair even inside a big document, so 500 notices
cannot be laid out in 10 s. Each notice is rendered once (right after issuing, or on first print) and
stored; reprints serve those bytes and a batch joins the stored PDFs with pikepdf, sharing one font
subset (notices/pdfmerge.py). Notices not yet rendered are laid out in chunks by short-lived worker
processes (WeasyPrint grows in memory in long-lived processes) and split into page pairs.
"""
import io
from html import unescape
import math
import os
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
import multiprocessing

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.html import strip_tags
from django.utils.safestring import mark_safe

from notices import fonts, pdfmerge, pdfworker
from notices.facts import cn_date
from notices.texts import DEFAULT_RECEIPT_NOTE, fill

FONT_NAME_RE = re.compile(r"^[\w .\-\u4e00-\u9fff]{1,64}$")
CHUNK_SIZE = 20     # notices laid out in one WeasyPrint document when many are rendered at once
PARALLEL_FROM = 40  # this many uncached notices are rendered by worker processes


@dataclass
class DocumentData:
    number: str
    title: str
    school_name: str
    guardian_name: str
    guardian_relation: str
    guardian_title: str
    student_name: str
    address: str
    issue_date_text: str
    red_header: bool
    paragraphs: list = field(default_factory=list)
    receipt_note: str = ""
    cancelled: bool = False
    cancel_reason: str = ""
    density: str = ""


def font_family():
    return settings.KONGCHUO.get("NOTICE_FONT_FAMILY") or "Noto Serif CJK SC"


def font_stack(family=None, *, common=False):
    family = family or font_family()
    if not FONT_NAME_RE.match(family):
        raise ValueError(f"NOTICE_FONT_FAMILY 含有不允许的字符：{family!r}")
    return (f'"{fonts.COMMON_FAMILY}", ' if common else "") + f'"{family}", serif'


def css(family=None, *, for_print=True):
    """The notice style sheet. For print, the configured family's cut-down face (notices/fonts.py) comes first."""
    family = family or font_family()
    face = fonts.common_font_path(family) if for_print and family == font_family() else None
    bold = settings.KONGCHUO.get("NOTICE_BOLD_TITLES", False)
    return mark_safe(render_to_string("notices/notice.css", {
        "font": family, "stack": font_stack(family, common=face is not None),
        "face_family": fonts.COMMON_FAMILY, "face_url": face.as_uri() if face else "",
        "title_weight": "bold" if bold else "normal"}))


def _width(text):
    """Line width in em: CJK and full-width characters 1, Latin capitals about 0.75, other Latin about 0.6."""
    return sum(1 if ord(ch) > 0x2E7F else 0.75 if ch.isupper() else 0.6 for ch in text)


GRID_PT = 434  # width of the text block: 31 characters of 14 pt
PAGE_PT = 717  # height of the text block on A4 with the @page margins
# (css class, font size, line height) from roomy to dense; notice.css defines the same.
DENSITIES = (("", 14, 25), ("compact", 12.4, 21), ("tight", 10.85, 17), ("minimal", 9.64, 14))


def density_for(paragraphs, salutation, *, title="", school_name="", red_header=True):
    """Pick the type size that keeps the notice on one page, estimating its lines on the character grid."""
    # Measured: the text block holds 475 pt of lines under a 红头 and 500 pt without; half a character per
    # line is kept in reserve for 避头尾 (a closing mark never starts a line, so a line may end one early).
    fixed = PAGE_PT - (475 if red_header else 500)
    fixed += 30 * max(0, math.ceil(_width(title) * 23 / GRID_PT) - 1)
    if red_header:
        fixed += 34 * max(0, math.ceil(_width(school_name) * 26 / GRID_PT) - 1)
    texts = [salutation] + [unescape(strip_tags(p)) for p in paragraphs]
    for name, size, leading in DENSITIES:
        per_line = GRID_PT / size - 0.5
        lines = math.ceil(_width(texts[0]) / per_line) + sum(math.ceil((_width(t) + 2) / per_line) for t in texts[1:])
        if lines * leading <= PAGE_PT - fixed:
            return name
    return DENSITIES[-1][0]


def document_data(notice):
    c = notice.content
    template = notice.template
    return DocumentData(
        number=notice.number,
        title=template.title,
        school_name=c.get("school_name", ""),
        guardian_name=c.get("guardian_name", ""),
        guardian_relation=c.get("guardian_relation", ""),
        guardian_title="监护人",
        student_name=c.get("student_name", ""),
        address=c.get("address", ""),
        issue_date_text=cn_date(notice.issue_date),
        red_header=notice.red_header,
        paragraphs=(paragraphs := fill(template.body, c)),
        density=density_for(paragraphs, "%s（学生%s的%s）：" % (
            c.get("guardian_name", ""), c.get("student_name", ""), c.get("guardian_relation", "")),
            title=template.title, school_name=c.get("school_name", ""), red_header=notice.red_header),
        receipt_note=template.receipt_note or DEFAULT_RECEIPT_NOTE,
        cancelled=notice.status == notice.Status.CANCELLED,
        cancel_reason=notice.cancel_reason,
    )


def render_html(documents, *, family=None, title="劝返通知书", preview=False):
    """The full HTML document WeasyPrint prints; `preview=True` adds screen styles (paper sheets) for the browser."""
    return render_to_string("notices/pdf.html", {"documents": documents, "css": css(family, for_print=not preview),
                                                 "title": title, "preview": preview})


def _write_pdf(html):
    return pdfworker.write_pdf(html)


def page_count(data):
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        return len(pdf.pages)


def _fit(document, family=None):
    """Render one notice; if it spills past its page pair (the estimate was short, e.g. a rare character
    printed from the fallback face makes a line taller), render it again one density step smaller."""
    from dataclasses import replace

    names = [name for name, _, _ in DENSITIES]
    while True:
        data = pdfworker.write_pdf(render_html([document], family=family, title=document.number))
        position = names.index(document.density) if document.density in names else len(names) - 1
        if page_count(data) <= 2 or position == len(names) - 1:
            return document, data
        document = replace(document, density=names[position + 1])


def render_pdf(notices, *, family=None, title=None):
    """Notices → one freshly rendered PDF (bytes). Each notice takes a page pair: the notice, then its 送达回证."""
    documents = [n if isinstance(n, DocumentData) else document_data(n) for n in notices]
    if not documents:
        raise ValueError("no notices to render")
    title = title or (documents[0].number if len(documents) == 1 else f"劝返通知书（{len(documents)} 份）")
    data = pdfworker.write_pdf(render_html(documents, family=family, title=title))
    if page_count(data) == 2 * len(documents):
        return data
    fitted = [_fit(d, family) for d in documents]
    if len(fitted) == 1:
        return fitted[0][1]
    return pdfworker.write_pdf(render_html([d for d, _ in fitted], family=family, title=title))


def render_many(notices):
    """One PDF per notice. WeasyPrint's cost per document is high (~0.25 s to load and subset the CJK font), so
    notices are laid out in chunks (a page pair each) and each chunk is split into per-notice files. Many
    chunks are rendered by worker processes ("spawn": a fresh interpreter without the parent's database
    connections or threads; the pool and WeasyPrint's memory go away afterwards)."""
    documents = [n if isinstance(n, DocumentData) else document_data(n) for n in notices]
    chunks = [documents[i:i + CHUNK_SIZE] for i in range(0, len(documents), CHUNK_SIZE)]
    htmls = [render_html(chunk, title=chunk[0].number) for chunk in chunks]
    if len(documents) < PARALLEL_FROM or len(chunks) < 2:
        pdfs = [pdfworker.write_pdf(h) for h in htmls]
    else:
        workers = max(1, min(len(chunks), os.cpu_count() or 1, settings.KONGCHUO.get("NOTICE_RENDER_WORKERS", 4)))
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                 initializer=pdfworker.warm_up) as pool:
            pdfs = list(pool.map(pdfworker.write_pdf, htmls))
    parts = []
    for chunk, pdf in zip(chunks, pdfs):
        if page_count(pdf) == 2 * len(chunk):
            parts.extend(pdfmerge.split(pdf, pages=2))
        else:  # a notice spilled over its page pair: render this chunk's notices one by one, fitted
            parts.extend(data for _, data in (_fit(d) for d in chunk))
    return parts


# ------------------------------------------------------------------------------------------ cache
def store_pdf(notice, data):
    from django.core.files.base import ContentFile

    if notice.pdf:
        notice.pdf.delete(save=False)
    notice.pdf.save(f"notice-{notice.pk}.pdf", ContentFile(data), save=False)
    type(notice).objects.filter(pk=notice.pk).update(pdf=notice.pdf.name)


def cached_pdf(notice):
    """The notice's PDF: rendered once from its frozen content, then the same bytes on every reprint."""
    if notice.pdf:
        try:
            with notice.pdf.open("rb") as fh:
                return fh.read()
        except (FileNotFoundError, OSError):
            pass
    data = render_pdf([notice])
    store_pdf(notice, data)
    return data


def invalidate_pdf(notice):
    """The printed form changed (作废 adds a banner): render again on the next print."""
    if notice.pdf:
        notice.pdf.delete(save=False)
    type(notice).objects.filter(pk=notice.pk).update(pdf="")
    notice.pdf = ""


def batch_pdf(notices, *, title="劝返通知书"):
    """All `notices` in one PDF, a page pair each: cached PDFs joined (rendering the missing ones first)."""
    notices = list(notices)
    if not notices:
        raise ValueError("no notices to print")
    parts, missing = {}, []
    for notice in notices:
        data = None
        if notice.pdf:
            try:
                with notice.pdf.open("rb") as fh:
                    data = fh.read()
            except (FileNotFoundError, OSError):
                data = None
        if data is None:
            missing.append(notice)
        else:
            parts[notice.pk] = data
    if missing:
        for notice, data in zip(missing, render_many(missing)):
            store_pdf(notice, data)
            parts[notice.pk] = data
    if len(notices) == 1:
        return parts[notices[0].pk]
    return pdfmerge.merge([parts[n.pk] for n in notices], title=title)
