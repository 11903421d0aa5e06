"""A light source font for notices: the configured CJK face cut down to GB 2312 and common punctuation.

WeasyPrint subsets the font of every PDF it writes. Noto Serif CJK SC has 65,535 glyphs, and subsetting it
(HarfBuzz, glyph ids kept) costs more than laying out the page; a face of ~8,000 glyphs costs a fifth of
that and makes the file half as big. The cut-down face is built once (HarfBuzz, < 1 s) under
VAR_DIR/fonts/ and named first in every font stack; the configured family comes second, so a rare
character in a name (outside GB 2312, e.g. 喆, 堃) is printed from the full face, never as tofu.
Set KONGCHUO["NOTICE_FONT_COMMON_SUBSET"] = False to print from the full face only.
"""
import hashlib
import logging
import os
import threading
from pathlib import Path

from django.conf import settings

log = logging.getLogger(__name__)
COMMON_FAMILY = "KC Notice Common"
_lock = threading.Lock()
_paths = {}


def enabled():
    return settings.KONGCHUO.get("NOTICE_FONT_COMMON_SUBSET", True)


def codepoints():
    """ASCII, Latin-1, general punctuation, CJK symbols and punctuation, enclosed numbers, geometric shapes
    (□ of the 送达回证), full-width forms, and every character of GB 2312."""
    points = set(range(0x20, 0x7F)) | set(range(0xA0, 0x100)) | set(range(0x2000, 0x2070))
    points |= set(range(0x2460, 0x2500)) | set(range(0x25A0, 0x2600)) | set(range(0x3000, 0x3040))
    points |= set(range(0xFF00, 0xFFF0))
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                points.add(ord(bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return sorted(points)


def common_font_path(family):
    """Path of the cut-down face of `family` (built on first use), or None if it cannot be built."""
    if not enabled():
        return None
    with _lock:
        if family in _paths:
            return _paths[family]
        digest = hashlib.sha256(family.encode()).hexdigest()[:10]
        path = Path(settings.VAR_DIR) / "fonts" / f"kc-notice-{digest}.otf"
        if not path.exists():
            try:
                build(family, path)
            except Exception:  # noqa: BLE001 - notices still print from the full face
                log.exception("could not build the notice font subset of %r", family)
                path = None
        _paths[family] = path
        return path


def build(family, path):
    from weasyprint.text.ffi import ffi, gobject, harfbuzz, harfbuzz_subset, pango
    from weasyprint.text.fonts import (
        FontConfiguration, get_hb_object_data, get_pango_font_hb_face, get_pango_font_key,
    )

    if not harfbuzz_subset:
        raise RuntimeError("libharfbuzz-subset is missing")
    config = FontConfiguration()
    context = ffi.gc(pango.pango_font_map_create_context(config.font_map), gobject.g_object_unref)
    description = ffi.gc(pango.pango_font_description_new(), pango.pango_font_description_free)
    pango.pango_font_description_set_family(description, family.encode())
    pango.pango_font_description_set_weight(description, 400)
    pango.pango_font_description_set_absolute_size(description, 12 * 1024)
    pango_font = pango.pango_font_map_load_font(config.font_map, context, description)
    if pango_font == ffi.NULL:
        raise RuntimeError(f"font family {family!r} not found")
    _, loaded_description, _ = get_pango_font_key(pango_font)
    loaded = ffi.string(pango.pango_font_description_get_family(loaded_description)).decode()
    if loaded.lower() != family.lower():  # fontconfig fell back to another font: never cut that one down
        raise RuntimeError(f"font family {family!r} is not installed (fontconfig offers {loaded!r})")
    face = get_pango_font_hb_face(pango_font)
    points = codepoints()
    subset_input = ffi.gc(harfbuzz_subset.hb_subset_input_create_or_fail(), harfbuzz_subset.hb_subset_input_destroy)
    unicodes = harfbuzz_subset.hb_subset_input_set(subset_input, harfbuzz_subset.HB_SUBSET_SETS_UNICODE)
    harfbuzz.hb_set_add_sorted_array(unicodes, ffi.new(f"hb_codepoint_t[{len(points)}]", points), len(points))
    harfbuzz_subset.hb_subset_input_set_flags(subset_input, harfbuzz_subset.HB_SUBSET_FLAGS_PASSTHROUGH_UNRECOGNIZED)
    subset = ffi.gc(harfbuzz_subset.hb_subset_or_fail(face, subset_input), harfbuzz.hb_face_destroy)
    if subset == ffi.NULL:
        raise RuntimeError("HarfBuzz could not subset the font")
    data = get_hb_object_data(subset)
    if not data:
        raise RuntimeError("empty font subset")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)  # atomic: a concurrent reader sees the whole file or none
    log.info("built notice font subset %s (%d glyph code points, %d KB)", path, len(points), len(data) // 1024)
