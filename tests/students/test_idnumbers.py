from datetime import date

import pytest

from students import idnumbers
from students.idnumbers import IdNumberError, parse, parse_student_number


@pytest.mark.parametrize("raw,expected", [
    ("11010519491231002X", "11010519491231002X"),
    ("11010519491231002x", "11010519491231002X"),
    (" 440524188001010014 ", "440524188001010014"),
    ("１１０１０５１９４９１２３１００２Ｘ", "11010519491231002X"),
])
def test_parse_valid_numbers_normalises_case_space_and_fullwidth(raw, expected):
    assert parse(raw).number == expected


def test_parse_reads_sex_and_birth_date():
    info = parse("11010519491231002X")
    assert info.birth_date == date(1949, 12, 31) and info.gender == "F"
    assert parse("440524188001010014").gender == "M"


def test_parse_converts_15_digit_legacy_number():
    body = "110105491231002"
    info = parse(body)
    assert info.number == "11010519491231002X" and info.upgraded_from == body


@pytest.mark.parametrize("raw,reason", [
    ("110105194912310021", "校验码错误：最后一位应为 X"),
    ("1101051949123100", "应为 18 位，实际 16 位"),
    ("11010519491331002X", "不是有效日期"),
    ("11010A19491231002X", "前 17 位须为数字"),
    ("11010549123100A", "15 位身份证号只能包含数字"),
    ("", "身份证号为空"),
])
def test_parse_rejects_with_chinese_reason(raw, reason):
    with pytest.raises(IdNumberError, match=reason):
        parse(raw)


@pytest.mark.parametrize("raw,expected", [
    ("G11010519491231002X", "G11010519491231002X"),
    ("g11010519491231002x", "G11010519491231002X"),
    ("J411503201605010012", "J411503201605010012"),
    ("L2026ABC123", "L2026ABC123"),
])
def test_student_number_accepts_g_j_l_formats(raw, expected):
    assert parse_student_number(raw) == expected


@pytest.mark.parametrize("raw,reason", [
    ("X11010519491231002X", "学籍号应以 G、J 或 L 开头"),
    ("G110105194912310021", "其中身份证号无效"),
    ("G110105491231002", "不能使用 15 位旧号码"),
    ("J12345", "J 开头的学籍号应为 J\\+18 位数字"),
    ("J411503201613010012", "不是有效日期"),
    ("L12", "L\\+6 至 28 位"),
    ("1101051949", "学籍号应以 G、J 或 L 开头"),
])
def test_student_number_rejects_other_formats_with_reason(raw, reason):
    with pytest.raises(IdNumberError, match=reason):
        parse_student_number(raw)


def test_mismatches_name_both_fields_and_never_change_input():
    info = parse("11010519491231002X")
    found = idnumbers.mismatches(info, "M", date(1950, 1, 1))
    assert found == ["身份证号显示性别为女，填写的性别为男",
                     "身份证号显示出生日期为 1949-12-31，填写的出生日期为 1950-01-01"]
    assert idnumbers.mismatches(info, "F", date(1949, 12, 31)) == []
