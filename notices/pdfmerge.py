"""Join stored notice PDFs into one batch PDF, sharing one font subset between them.

Each stored notice embeds its own subset of the CJK font (~250 KB); joined as they are, 500 notices make
a 130 MB file. WeasyPrint subsets with "retain glyph ids", so every page addresses glyphs by their id in
the *original* font: one subset holding the union of the glyphs, with the union of widths (W) and
Unicode maps (ToUnicode), serves all pages. The original font is found the way WeasyPrint found it
(Pango + fontconfig, matched by WeasyPrint's own font name) and subset by WeasyPrint's own code. If a
font cannot be matched, its pages keep their own copies (a bigger file, the same print).
"""
import io
import logging
import re

import pikepdf

log = logging.getLogger(__name__)

TOUNICODE_PAIR = re.compile(rb"<([0-9a-fA-F]{4})>\s*<([0-9a-fA-F]+)>")


def merge(parts, *, title=""):
    """PDF byte strings → one PDF (bytes), pages in order."""
    out = pikepdf.new()
    sources = []
    for data in parts:
        source = pikepdf.open(io.BytesIO(data))
        sources.append(source)
        out.pages.extend(source.pages)
    try:
        share_fonts(out)
    except Exception:  # noqa: BLE001 - sharing fonts is an optimisation; the joined pages are already right
        log.exception("could not share fonts between notice PDFs; keeping one copy per notice")
    if title:
        with out.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta["dc:title"] = title
        out.docinfo["/Title"] = title
    buffer = io.BytesIO()
    out.save(buffer, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    for source in sources:
        source.close()
    return buffer.getvalue()


W_TOKEN = re.compile(rb"\[|\]|-?\d+(?:\.\d+)?")


def split(data, *, pages=2):
    """One PDF → PDFs of `pages` pages each (a notice's page pair)."""
    source = pikepdf.open(io.BytesIO(data))
    parts = []
    for start in range(0, len(source.pages), pages):
        part = pikepdf.new()
        part.pages.extend(source.pages[start:start + pages])
        buffer = io.BytesIO()
        part.save(buffer, compress_streams=True)
        parts.append(buffer.getvalue())
    source.close()
    return parts


def _widths(w_array):
    """PDF W array `[c [w1 w2 …] c2 [w …] …]` (and the `c_first c_last w` form) → {gid: width}.
    Parsed from its bytes: touching pikepdf objects one by one is ten times slower."""
    widths, stack, run, first = {}, [], None, None
    tokens = W_TOKEN.findall(w_array.unparse())[1:-1]  # drop the outer brackets
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token == b"[":
            run, i = [], i + 1
            while tokens[i] != b"]":
                run.append(float(tokens[i]))
                i += 1
            for offset, width in enumerate(run):
                widths[first + offset] = width
            first = None
        elif first is None:
            first = int(token)
        else:  # c_first c_last w
            last, width = int(token), float(tokens[i + 1])
            for gid in range(first, last + 1):
                widths[gid] = width
            first, i = None, i + 1
        i += 1
    return widths


def _to_unicode(stream):
    """bfchar pairs as raw hex ({b"0041": b"0041"}); decoded once for the union."""
    return dict(TOUNICODE_PAIR.findall(stream.read_bytes()))


def _w_array(widths):
    array, run = [], None
    for gid in sorted(widths):
        if run is None or gid - 1 not in widths:
            run = []
            array.extend([gid, run])
        run.append(round(widths[gid], 3))
    return pikepdf.Array([pikepdf.Array(x) if isinstance(x, list) else x for x in array])


def _decode_unicode(raw):
    return {int(gid, 16): bytes.fromhex(text.decode()).decode("utf-16-be", errors="replace")
            for gid, text in raw.items()}


def _to_unicode_bytes(mapping):
    lines = [b"/CIDInit /ProcSet findresource begin", b"12 dict begin", b"begincmap", b"/CIDSystemInfo",
             b"<< /Registry (Adobe)", b"/Ordering (UCS)", b"/Supplement 0", b">> def",
             b"/CMapName /Adobe-Identity-UCS def", b"/CMapType 2 def", b"1 begincodespacerange", b"<0000> <ffff>",
             b"endcodespacerange"]
    items = sorted(mapping.items())
    for i in range(0, len(items), 100):
        chunk = items[i:i + 100]
        lines.append(f"{len(chunk)} beginbfchar".encode())
        for gid, text in chunk:
            lines.append(f"<{gid:04x}> <{text.encode('utf-16-be').hex()}>".encode())
        lines.append(b"endbfchar")
    lines += [b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]
    return b"\n".join(lines)


def _shareable(font):
    if font.get("/Subtype") != "/Type0" or font.get("/Encoding") != "/Identity-H":
        return False  # e.g. a font with missing glyphs gets its own encoding CMap: leave it alone
    descendant = font.DescendantFonts[0]
    return ("/W" in descendant and "/ToUnicode" in font
            and descendant.get("/CIDToGIDMap") == "/Identity" and "/FontDescriptor" in descendant)


def share_fonts(pdf):
    font_dicts, groups = {}, {}
    for page in pdf.pages:
        resources = page.obj.get("/Resources")
        fonts = resources.get("/Font") if resources is not None else None
        if fonts is None:
            continue
        font_dicts[fonts.objgen if fonts.is_indirect else id(fonts)] = fonts
    for fonts in font_dicts.values():
        for key in list(fonts.keys()):
            font = fonts[key]
            if not _shareable(font):
                continue
            group = groups.setdefault(str(font.BaseFont), {"widths": {}, "unicode": {}, "uses": [], "model": font,
                                                            "seen": set()})
            # Notices rendered in one chunk carry identical W arrays and maps: parse each distinct one once.
            w_raw = font.DescendantFonts[0].W.unparse()
            if w_raw not in group["seen"]:
                group["seen"].add(w_raw)
                group["widths"].update(_widths(font.DescendantFonts[0].W))
            map_raw = font.ToUnicode.read_raw_bytes()
            if map_raw not in group["seen"]:
                group["seen"].add(map_raw)
                group["unicode"].update(_to_unicode(font.ToUnicode))
            group["uses"].append((fonts, key))
    originals = _original_fonts({name for name in groups})
    for name, group in groups.items():
        original = originals.get(name)
        if original is None or len(group["uses"]) < 2:
            continue
        shared = _build_shared(pdf, original, group)
        for fonts, key in group["uses"]:
            fonts[key] = shared


def _build_shared(pdf, original, group):
    """One font (Type0 → CIDFont → descriptor → subset font file) holding every glyph the pages use."""
    widths, unicode = group["widths"], _decode_unicode(group["unicode"])
    original.clean({gid: unicode.get(gid, "") for gid in widths}, False)
    model = group["model"]
    model_descendant = model.DescendantFonts[0]
    model_descriptor = model_descendant.FontDescriptor
    file_key = "/FontFile3" if "/FontFile3" in model_descriptor else "/FontFile2"
    font_file = pikepdf.Stream(pdf, original.file_content)
    for key, value in model_descriptor[file_key].items():
        if key not in ("/Length", "/Filter", "/DecodeParms"):
            font_file[key] = value
    if file_key == "/FontFile2":
        font_file["/Length1"] = len(original.file_content)
    descriptor = pikepdf.Dictionary({k: v for k, v in model_descriptor.items() if k not in (file_key, "/CIDSet")})
    descriptor[file_key] = pdf.make_indirect(font_file)
    if widths:
        bbox = list(model_descriptor.FontBBox)
        bbox[2] = max(widths.values())
        descriptor["/FontBBox"] = pikepdf.Array(bbox)
    descendant = pikepdf.Dictionary({k: v for k, v in model_descendant.items()})
    descendant["/W"] = _w_array(widths)
    descendant["/FontDescriptor"] = pdf.make_indirect(descriptor)
    font = pikepdf.Dictionary({k: v for k, v in model.items()})
    font["/DescendantFonts"] = pikepdf.Array([pdf.make_indirect(descendant)])
    font["/ToUnicode"] = pdf.make_indirect(pikepdf.Stream(pdf, _to_unicode_bytes(unicode)))
    return pdf.make_indirect(font)


def _original_fonts(names):
    """WeasyPrint Font objects (full font, ready to subset) for the PDF font names we can match."""
    from django.conf import settings
    from weasyprint.pdf.fonts import Font
    from weasyprint.text.ffi import ffi, gobject, pango
    from weasyprint.text.fonts import FontConfiguration, get_pango_font_key

    configured = settings.KONGCHUO.get("NOTICE_FONT_FAMILY") or "Noto Serif CJK SC"
    families = {configured}
    for name in names:  # "/ABCDEF+Noto-Serif-CJK-SC-Bold" → "Noto Serif CJK SC"
        family = name.split("+", 1)[-1].replace("-", " ")
        families.add(re.sub(r"\s+(Bold|Regular|Medium|Light|SemiBold|Black|Italic|Oblique)$", "", family))
    found = {}
    config = FontConfiguration()
    from notices import fonts

    face = fonts.common_font_path(configured)
    if face is not None:  # the cut-down face the notices name first (@font-face), registered the same way
        from weasyprint.urls import URLFetcher

        config.add_font_face({"font_family": fonts.COMMON_FAMILY, "src": [("external", face.as_uri())]}, URLFetcher())
        families.add(fonts.COMMON_FAMILY)
    context = ffi.gc(pango.pango_font_map_create_context(config.font_map), gobject.g_object_unref)
    for family in families:
        for weight in (400, 700):
            description = ffi.gc(pango.pango_font_description_new(), pango.pango_font_description_free)
            pango.pango_font_description_set_family(description, family.encode())
            pango.pango_font_description_set_weight(description, weight)
            pango.pango_font_description_set_absolute_size(description, 12 * 1024)
            pango_font = pango.pango_font_map_load_font(config.font_map, context, description)
            if pango_font == ffi.NULL:
                continue
            _, font_description, size = get_pango_font_key(pango_font)
            font = Font(pango_font, font_description, size)
            name = font.name.decode()
            if name in names and name not in found:
                found[name] = font
    found["_config"] = config  # keep the font map (and the @font-face file) alive while fonts are in use
    return found
