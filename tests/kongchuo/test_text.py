"""kongchuo.text: the one sanitiser (issue 9)."""
import pytest

from kongchuo import text
from tests.hostile import strings as hostile


@pytest.mark.parametrize("value", hostile.VALUES, ids=hostile.IDS)
@pytest.mark.parametrize("kind", text.KINDS)
def test_clean_never_leaves_a_forbidden_character(value, kind):
    cleaned = text.clean(value, kind)
    assert not hostile.forbidden_in(cleaned)
    assert cleaned == cleaned.strip()
    assert text.clean(cleaned, kind) == cleaned  # idempotent


@pytest.mark.parametrize("value, expected", [
    ("\u202e张三", "张三"), ("\u2066李\u2069\u200e四\u200f\u061c", "李四"), ("\u200b王\ufeff五\u200c\u2060", "王五"),
    ("a\x00b", "ab"), ("\x07\x1b[31m红\x01", "[31m红"), ("\x85\x9b31m赵六\x9c", "31m赵六"),
    (" \u3000张　三 ", "张 三"), ("阿依古丽·买买提", "阿依古丽·买买提"), ("李\u200d四", "李四"),
])
def test_names_lose_invisible_characters(value, expected):
    assert text.clean(value, text.NAME) == expected


def test_codes_become_ascii():
    assert text.clean(hostile.FULLWIDTH_ID, text.CODE) == "411503201609010013"
    assert text.clean("１３８ ００３７ ６１２３", text.CODE) == "138 0037 6123"
    assert text.clean("４１１５０３２０１６０９０１００１ｘ", text.CODE) == "41150320160901001x"


def test_free_text_keeps_chinese_punctuation_lines_and_emoji():
    value = "家长说：“孩子下周一（9月7日）返校！”\r\n好的，已记录。\r👨\u200d👩\u200d👧"
    assert text.clean(value, text.TEXT) == "家长说：“孩子下周一（9月7日）返校！”\n好的，已记录。\n👨\u200d👩\u200d👧"
    assert text.clean("随父母在浙江，杭州", text.LINE) == "随父母在浙江，杭州"  # full-width comma kept (NFC only)
    assert text.clean("第一行\n第二行", text.LINE) == "第一行 第二行"


def test_only_invisible_characters_become_empty():
    for kind in text.KINDS:
        assert text.clean(hostile.ONLY_INVISIBLE, kind) == ""
        assert text.clean(hostile.WHITESPACE, kind) == ""


def test_fast_path_and_slow_path_agree():
    # printable non-ASCII needing normalisation goes through NFKC/NFC like the slow path
    assert text.clean("ｘ１", text.CODE) == "x1"
    assert text.clean("e\u0301", text.LINE) == "\u00e9"
    assert text.clean("a  b", text.LINE) == "a b"


def test_strip_never_valid_keeps_everything_but_controls():
    assert text.strip_never_valid("Pa\x00ss\x1b\u202e\tword\n") == "Pass\u202e\tword\n"
    assert text.has_unsafe("\u202eabc") and not text.has_unsafe("张三，你好")
