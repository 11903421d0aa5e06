"""GB 11643-1999 citizen identity numbers (SPEC §10)."""
from dataclasses import dataclass
from datetime import date

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
FULLWIDTH = str.maketrans("０１２３４５６７８９ＸｘＧＪＬｇｊｌ", "0123456789XxGJLgjl")


class IdNumberError(ValueError):
    """A Chinese message saying why a number is not valid."""


@dataclass(frozen=True)
class IdInfo:
    number: str
    birth_date: date
    gender: str  # "M" or "F"
    upgraded_from: str = ""


def check_char(first17: str) -> str:
    return CHECK_CHARS[sum(int(c) * w for c, w in zip(first17, WEIGHTS)) % 11]


def normalize(raw) -> str:
    if raw is None:
        return ""
    return str(raw).translate(FULLWIDTH).strip().replace(" ", "").upper()


def _birth(digits8: str) -> date:
    try:
        return date(int(digits8[:4]), int(digits8[4:6]), int(digits8[6:8]))
    except ValueError:
        raise IdNumberError(f"出生日期部分“{digits8}”不是有效日期") from None


def parse(raw) -> IdInfo:
    """Validate an 18-digit number (or upgrade a 15-digit legacy one); raise IdNumberError with the reason."""
    number = normalize(raw)
    if not number:
        raise IdNumberError("身份证号为空")
    upgraded_from = ""
    if len(number) == 15:
        if not number.isdigit():
            raise IdNumberError("15 位身份证号只能包含数字")
        upgraded_from = number
        body = number[:6] + "19" + number[6:]
        number = body + check_char(body)
    if len(number) != 18:
        raise IdNumberError(f"身份证号应为 18 位，实际 {len(number)} 位")
    if not number[:17].isdigit() or number[17] not in "0123456789X":
        raise IdNumberError("身份证号前 17 位须为数字，最后一位为数字或 X")
    birth = _birth(number[6:14])
    if birth > date.today() or birth.year < 1800:
        raise IdNumberError(f"出生日期 {birth:%Y-%m-%d} 不合理")
    expected = check_char(number[:17])
    if number[17] != expected:
        raise IdNumberError(f"校验码错误：最后一位应为 {expected}，实际为 {number[17]}")
    gender = "M" if int(number[16]) % 2 == 1 else "F"
    return IdInfo(number=number, birth_date=birth, gender=gender, upgraded_from=upgraded_from)


def build(area: str, birth: date, sequence: int) -> str:
    """Build a valid number (demo data, tests). `sequence` 0–999; odd = male."""
    body = f"{area}{birth:%Y%m%d}{sequence:03d}"
    return body + check_char(body)


# ------------------------------------------------------------------ 学籍号 (national student number)
STUDENT_NUMBER_HELP = "学籍号格式：G+18 位身份证号，J+18 位数字（无身份证号的学生），或 L 开头的临时学籍号"


def parse_student_number(raw) -> str:
    """Normalise and check a 学籍号: G + a valid ID number, J + 18 digits (an ID-like number for a child without
    one; the last may be X), or L + 6–28 letters/digits (temporary). Raises IdNumberError with the reason."""
    number = normalize(raw)
    if not number:
        raise IdNumberError("学籍号为空")
    head, body = number[0], number[1:]
    if head == "G":
        try:
            info = parse(body)
        except IdNumberError as exc:
            raise IdNumberError(f"G 开头的学籍号应为 G+身份证号，其中身份证号无效：{exc}") from None
        if info.upgraded_from:
            raise IdNumberError("G 开头的学籍号应为 G+18 位身份证号，不能使用 15 位旧号码")
        return "G" + info.number
    if head == "J":
        if len(body) != 18 or not body[:17].isdigit() or body[17] not in "0123456789X":
            raise IdNumberError(f"J 开头的学籍号应为 J+18 位数字（最后一位可为 X），实际 J 后有 {len(body)} 位")
        _birth(body[6:14])
        return number
    if head == "L":
        if not (6 <= len(body) <= 28) or not body.isalnum() or not body.isascii():
            raise IdNumberError("L 开头的临时学籍号应为 L+6 至 28 位字母或数字")
        return number
    raise IdNumberError(f"学籍号应以 G、J 或 L 开头，实际以“{number[0]}”开头。{STUDENT_NUMBER_HELP}")


GENDER_LABELS = {"M": "男", "F": "女"}


def mismatches(info: IdInfo, gender=None, birth_date=None) -> list:
    """Where the entered sex / birth date disagree with the ID number (warn, never overwrite: SPEC §10)."""
    found = []
    if gender and gender != info.gender:
        found.append(f"身份证号显示性别为{GENDER_LABELS[info.gender]}，填写的性别为{GENDER_LABELS.get(gender, gender)}")
    if birth_date and birth_date != info.birth_date:
        found.append(f"身份证号显示出生日期为 {info.birth_date:%Y-%m-%d}，填写的出生日期为 {birth_date:%Y-%m-%d}")
    return found
