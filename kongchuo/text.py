"""One text sanitiser for every value a person or a file gives us: form fields, query parameters, import cells.

What it removes (never meaningful in this application's data, often harmful):
- NUL and every other C0 control character (PostgreSQL text cannot hold NUL; openpyxl refuses the others),
  except tab / LF / CR in multi-line text, where line breaks are normalised to LF;
- C1 controls (U+0080–U+009F);
- bidirectional controls (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C): a name starting with
  U+202E prints reversed ("cba字名") in notices, lists and spreadsheets;
- zero-width and invisible format characters (U+200B, U+200C, U+2060–U+2064, U+FEFF byte order mark,
  U+00AD soft hyphen, U+180E); U+200D (zero-width joiner) is kept in free text, where it joins emoji,
  and removed from names and numbers;
- unassigned / private-use / surrogate code points are left alone (they are visible as boxes, not tricks).

Normalisation: names and identifiers (`NAME`, `CODE`) go through NFKC, so full-width digits and letters of ID
numbers become ASCII (４１１５… → 4115…, ｘ → x) and compatibility ideographs become the usual ones; free text
(`LINE`, `TEXT`) only through NFC, so Chinese punctuation (，。：（）) stays as typed. Every kind is trimmed;
single-line kinds turn line breaks and tabs into one space and collapse runs of spaces.

Decision (issue 9): these characters are stripped, not refused. They are invisible, so a refusal would show an
error the user cannot see or fix (text pasted from WeChat or Word often carries U+200B or a BOM); a value that is
nothing but such characters becomes empty and then gets the field's ordinary "请填写…" message.
"""
import re
import unicodedata

LINE = "line"  # one line of free text: 去向, 送达地点, 备注 in a text input
TEXT = "text"  # several lines of free text: 情况说明, 了解到的情况
NAME = "name"  # a person's or a place's name: 姓名, 曾用名, 受送达人
CODE = "code"  # an identifier: 身份证件号, 学籍号, 电话, 编码
KINDS = (LINE, TEXT, NAME, CODE)

BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
ZERO_WIDTH = "\u00ad\u180e\u200b\u200c\u2060\u2061\u2062\u2063\u2064\ufeff"
ZWJ = "\u200d"

_C0_ALL = "".join(chr(c) for c in range(0x20)) + "\x7f"
_C0_KEEP_LINES = "".join(chr(c) for c in range(0x20) if chr(c) not in "\t\n\r") + "\x7f"
_C1 = "".join(chr(c) for c in range(0x80, 0xA0))


def _class(chars):
    return "[" + re.escape(chars) + "]"


_STRIP = {
    TEXT: re.compile(_class(_C0_KEEP_LINES + _C1 + BIDI + ZERO_WIDTH)),
    LINE: re.compile(_class(_C0_KEEP_LINES + _C1 + BIDI + ZERO_WIDTH)),
    NAME: re.compile(_class(_C0_KEEP_LINES + _C1 + BIDI + ZERO_WIDTH + ZWJ)),
    CODE: re.compile(_class(_C0_KEEP_LINES + _C1 + BIDI + ZERO_WIDTH + ZWJ)),
}
# What is never valid anywhere, whatever the field (used on raw POST data before any form sees it).
_NEVER = re.compile(_class(_C0_KEEP_LINES + _C1))
_UNSAFE = re.compile(_class(_C0_KEEP_LINES + _C1 + BIDI + ZERO_WIDTH))
_SPACES = re.compile(r"[ \t\r\n\u3000\u00a0]+")
_TRAILING_SPACES = re.compile(r"[ \t\u3000\u00a0]+\n")


def clean(value, kind=LINE):
    """The sanitised text (see the module docstring); None stays None, non-strings are turned into text."""
    if value is None:
        return None
    if not isinstance(value, str):
        value = str(value)
    if kind not in _STRIP:
        raise ValueError(f"unknown text kind {kind!r}")
    if value.isprintable():
        # The usual case, kept fast for imports (millions of cells): str.isprintable() is False for every
        # control, format (bidi, zero-width, BOM) and non-ASCII space character, so nothing needs stripping.
        if not value.isascii():
            form = "NFKC" if kind in (NAME, CODE) else "NFC"
            if not unicodedata.is_normalized(form, value):
                return clean(unicodedata.normalize(form, value), kind)
        return _SPACES.sub(" ", value).strip() if "  " in value else value.strip()
    value = _STRIP[kind].sub("", value)
    value = unicodedata.normalize("NFKC" if kind in (NAME, CODE) else "NFC", value)
    # NFKC can produce new spaces (U+3000 → " "); it never produces controls or bidi characters.
    if kind == TEXT:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
        value = _TRAILING_SPACES.sub("\n", value)
        return value.strip()
    return _SPACES.sub(" ", value).strip()


def strip_never_valid(value):
    """Only NUL and the other C0/C1 controls except tab/LF/CR: safe for any value, passwords included."""
    return _NEVER.sub("", value) if isinstance(value, str) else value


def has_unsafe(value):
    """True if the value holds a control, bidi or zero-width character that `clean` would remove."""
    return bool(value) and bool(_UNSAFE.search(value))


def kind_for_field(name, multiline=False):
    """The kind a form field or import column gets from its name (used when the field does not say)."""
    name = (name or "").lower()
    if multiline:
        return TEXT
    if any(part in name for part in ("id_number", "student_number", "phone", "code", "certificate", "number")):
        return CODE
    if name in ("name", "former_name") or name.endswith("_name") and "school" not in name:
        return NAME
    return LINE
