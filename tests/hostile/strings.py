"""The hostile strings corpus (issue 9): what an attacker or a careless paste puts into a text field, a query
parameter or a spreadsheet cell. Other tests import it; every entry is (name, value)."""

NUL = "a\x00b"
ANSI = "\x07\x1b[31m红\x01"
RLO_NAME = "\u202e张三"
BIDI_MIX = "\u2066李\u2069\u200e四\u200f\u061c"
ZERO_WIDTH = "\u200b王\ufeff五\u200c\u2060"
ZWJ_EMOJI = "👨\u200d👩\u200d👧 家庭"
EMOJI = "😀🎉🇨🇳"
LONG = "长" * 100_000
C1 = "\x85\x9b31m赵六\x9c"
CRLF = "第一行\r\n第二行\r第三行"
SQL = "'; DROP TABLE students_student; --"
SQL_LIKE = "%_\\%' OR '1'='1"
SCRIPT = "<script>alert(1)</script>"
TEMPLATE = "{{ request.user.password }}{% debug %}"
FORMULA = "=HYPERLINK(\"http://evil\",\"点我\")"
FULLWIDTH_ID = "４１１５０３２０１６０９０１００１３"
WHITESPACE = " \u3000\t \u00a0"
ONLY_INVISIBLE = "\u202e\u200b\ufeff\x00"
LONE_SURROGATE_SAFE = "\ufffd\U0010ffff"  # replacement char and the last code point (valid UTF-8)
PATH = "../../../../etc/passwd"
NUMBERISH = "99999999999999999999999999"
NEGATIVE = "-1"
BAD_DATE = "2026-02-30"

STRINGS = [
    ("nul", NUL), ("ansi", ANSI), ("rlo_name", RLO_NAME), ("bidi_mix", BIDI_MIX), ("zero_width", ZERO_WIDTH),
    ("zwj_emoji", ZWJ_EMOJI), ("emoji", EMOJI), ("long_100k", LONG), ("c1", C1), ("crlf", CRLF), ("sql", SQL),
    ("sql_like", SQL_LIKE), ("script", SCRIPT), ("template", TEMPLATE), ("formula", FORMULA),
    ("fullwidth_id", FULLWIDTH_ID), ("whitespace", WHITESPACE), ("only_invisible", ONLY_INVISIBLE),
    ("last_code_point", LONE_SURROGATE_SAFE), ("path", PATH), ("numberish", NUMBERISH), ("negative", NEGATIVE),
    ("bad_date", BAD_DATE),
]
VALUES = [value for _, value in STRINGS]
IDS = [name for name, _ in STRINGS]

# For query parameters: the corpus minus the 100k string (a URL that long is refused by servers before Django),
# plus values aimed at ids, pages and dates.
QUERY_VALUES = [v for v in VALUES if v is not LONG] + ["0", "1e9", "abc", "１", "2026-13-45", "x" * 2000]

# Characters that must never reach the database: C0 (but tab/LF/CR), C1, bidi controls, zero-width/BOM.
FORBIDDEN = set(chr(c) for c in range(0x20) if chr(c) not in "\t\n\r") | {"\x7f"} | \
    set(chr(c) for c in range(0x80, 0xA0)) | set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067"
                                                  "\u2068\u2069\u200b\u200c\u2060\ufeff")


def forbidden_in(value):
    """The forbidden characters a stored value holds (empty set: clean)."""
    return set(value) & FORBIDDEN if isinstance(value, str) else set()
