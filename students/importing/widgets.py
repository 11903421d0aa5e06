"""django-import-export widgets for the values real 学籍 files hold (SPEC §9).

Every `clean()` returns the model value or raises ValueError with a Chinese reason (the caller adds the column name
and row number). Option fields accept names or codes; dates accept text in the usual Chinese forms or Excel serial
numbers; ID numbers accept a lowercase x and full-width digits.
"""
import datetime
import re
import unicodedata

from django.core.exceptions import ValidationError
from import_export import widgets

from kongchuo import text as sanitiser

EXCEL_EPOCH = datetime.date(1899, 12, 30)
_MISSING = object()
_SPACE = re.compile(r"\s+")


def cell_text(value, kind=sanitiser.LINE) -> str:
    """A cell as trimmed, sanitised text (`kongchuo.text.clean`: no control, bidi or zero-width characters):
    13812345678.0 → '13812345678', None → ''."""
    if value is None:
        return ""
    if isinstance(value, str):
        return sanitiser.clean(value, kind)
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if not (value.hour or value.minute or value.second) else value.isoformat(" ")
    return sanitiser.clean(str(value), kind)


def half_width(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


class TextWidget(widgets.CharWidget):
    """A text cell through the project's sanitiser; `compact` (names) also removes inner spaces and uses NFKC."""

    def __init__(self, max_length=None, *, required=False, compact=False):
        super().__init__()
        self.max_length = max_length
        self.required = required
        self.compact = compact
        self.kind = sanitiser.NAME if compact else sanitiser.LINE

    def clean(self, value, row=None, **kwargs):
        text = cell_text(value, self.kind)
        if self.compact and (" " in text or "\u3000" in text or "\t" in text):
            text = "".join(text.split())
        if not text:
            if self.required:
                raise ValueError("不能为空")
            return ""
        if self.max_length and len(text) > self.max_length:
            raise ValueError(f"不能超过 {self.max_length} 个字（现为 {len(text)} 个）")
        return text


class ChoiceWidget(widgets.Widget):
    """Names or codes → a stored value. `options` maps each accepted spelling (after NFKC, spaces removed) to it."""

    def __init__(self, options, *, hint, required=False, default=None):
        super().__init__()
        self.options = {self._key(k): v for k, v in options.items()}
        self.raw = dict(options)  # fast path: the value exactly as most files write it
        self.raw.update({k: v for k, v in self.options.items() if k not in self.raw})
        self.hint = hint
        self.required = required
        self.default = default

    @staticmethod
    def _key(value):
        return _SPACE.sub("", half_width(cell_text(value))).upper()

    def clean(self, value, row=None, **kwargs):
        kind = type(value)
        if kind is str:
            hit = self.raw.get(value, _MISSING)
        elif kind is float and value.is_integer() or kind is int:
            hit = self.raw.get(str(int(value)), _MISSING)
        else:
            hit = _MISSING
        if hit is not _MISSING:
            return hit
        key = self._key(value)
        if not key:
            if self.required:
                raise ValueError(f"不能为空（应为 {self.hint}）")
            return self.default
        try:
            return self.options[key]
        except KeyError:
            raise ValueError(f"“{cell_text(value)}”不是可识别的值，应为 {self.hint}") from None


YES_NO = {"是": True, "否": False, "1": True, "0": False, "Y": True, "N": False, "YES": True, "NO": False,
          "TRUE": True, "FALSE": False, "有": True, "无": False, "√": True, "×": False}


class YesNoWidget(ChoiceWidget):
    def __init__(self, *, default=False):
        super().__init__(YES_NO, hint="是/否 或 1/0", default=default)


class ChineseDateWidget(widgets.DateWidget):
    """2016-05-01, 2016/5/1, 2016.5.1, 20160501, 2016年5月1日, an Excel date cell or a serial number (42491)."""

    TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
    COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
    SERIAL = re.compile(r"^\d{4,5}(?:\.0+)?$")
    HINT = "请写成 2016-05-01、2016/5/1、20160501 或 2016年5月1日"

    def __init__(self, *, required=False):
        super().__init__()
        self.required = required

    def clean(self, value, row=None, **kwargs):
        if type(value) is str and len(value) == 10 and value[4] == "-" and value[7] == "-":
            try:
                return datetime.date(int(value[:4]), int(value[5:7]), int(value[8:]))
            except ValueError:
                pass  # the slow path explains
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return self._number(value)
        text = half_width(cell_text(value))
        if not text:
            if self.required:
                raise ValueError("不能为空")
            return None
        match = self.TEXT.match(text) or self.COMPACT.match(text)
        if match:
            return self._date(*match.groups(), raw=text)
        if self.SERIAL.match(text):
            return self._number(float(text))
        raise ValueError(f"“{text}”不是有效日期，{self.HINT}")

    def _number(self, number):
        if number.is_integer() if isinstance(number, float) else True:
            number = int(number)
            if 19000101 <= number <= 21001231:
                text = str(number)
                return self._date(text[:4], text[4:6], text[6:], raw=text)
            if 1 <= number <= 80000:
                return EXCEL_EPOCH + datetime.timedelta(days=number)
        raise ValueError(f"“{number}”不是有效日期，{self.HINT}")

    def _date(self, year, month, day, *, raw):
        try:
            return datetime.date(int(year), int(month), int(day))
        except ValueError:
            raise ValueError(f"“{raw}”不是有效日期（没有这一天）") from None


class IdNumberWidget(widgets.CharWidget):
    """Normalises (full-width digits, lowercase x, spaces); validity is checked with the row (it depends on the type)."""

    def clean(self, value, row=None, **kwargs):
        if type(value) is str and len(value) == 18 and value[:17].isdigit() and value.isascii():
            return value.upper()  # the usual case, already clean
        if isinstance(value, float) and value.is_integer():
            raise ValueError("被 Excel 存成了数字，末位可能已丢失，请把该列设为“文本”格式后重新导出")
        text = _SPACE.sub("", cell_text(value, sanitiser.CODE)).upper()
        if len(text) > 30:
            raise ValueError("过长（最多 30 个字符）")
        return text or None


_MOBILE_SECOND = frozenset("3456789")


class PhoneWidget(widgets.CharWidget):
    def clean(self, value, row=None, **kwargs):
        from students.services.identity import normalize_phone

        text = cell_text(value, sanitiser.CODE)
        if len(text) == 11 and text[0] == "1" and text[1] in _MOBILE_SECOND and text.isdigit() and text.isascii():
            return text  # a plain mobile number: the registry's rule, without the general normalisation
        if not text:
            return ""
        try:
            return normalize_phone(text)
        except ValidationError as exc:
            raise ValueError(exc.messages[0]) from None


GENDER = {"男": "M", "女": "F", "男性": "M", "女性": "F", "1": "M", "2": "F", "M": "M", "F": "F"}

ID_TYPES = {
    "1": "1", "居民身份证": "1", "身份证": "1", "中华人民共和国居民身份证": "1",
    "2": "2", "港澳居民来往内地通行证": "2", "港澳居民居住证": "2", "香港特区护照/身份证明": "2",
    "澳门特区护照/身份证明": "2", "香港特区身份证明": "2", "澳门特区身份证明": "2",
    "3": "3", "台湾居民来往大陆通行证": "3", "台湾居民居住证": "3", "台胞证": "3",
    "4": "4", "护照": "4", "外国护照": "4",
    "Z": "Z", "其他": "Z", "户口簿": "Z", "出生医学证明": "Z", "境外永久居住证": "Z",
}

# GB 3304 民族 codes and names; "汉" is accepted for "汉族".
ETHNICITIES = (
    "汉族 蒙古族 回族 藏族 维吾尔族 苗族 彝族 壮族 布依族 朝鲜族 满族 侗族 瑶族 白族 土家族 哈尼族 哈萨克族 傣族 黎族 "
    "傈僳族 佤族 畲族 高山族 拉祜族 水族 东乡族 纳西族 景颇族 柯尔克孜族 土族 达斡尔族 仫佬族 羌族 布朗族 撒拉族 毛南族 "
    "仡佬族 锡伯族 阿昌族 普米族 塔吉克族 怒族 乌孜别克族 俄罗斯族 鄂温克族 德昂族 保安族 裕固族 京族 塔塔尔族 独龙族 "
    "鄂伦春族 赫哲族 门巴族 珞巴族 基诺族"
).split()
ETHNICITY_OPTIONS = {}
for _code, _name in enumerate(ETHNICITIES, start=1):
    ETHNICITY_OPTIONS[_name] = _name
    ETHNICITY_OPTIONS[f"{_code:02d}"] = _name
    ETHNICITY_OPTIONS[str(_code)] = _name
    ETHNICITY_OPTIONS[_name[:-1] if _name.endswith("族") and len(_name) > 2 else _name] = _name
ETHNICITY_OPTIONS.update({"汉": "汉族", "97": "其他", "其他": "其他", "98": "外国血统中国籍人士",
                          "外国血统中国籍人士": "外国血统中国籍人士", "穿青人": "穿青人"})

LEFT_BEHIND = {"0": "", "否": "", "非留守": "", "非留守儿童": "", "不是": "",
               "1": "left_behind_one", "单亲留守": "left_behind_one", "单亲留守儿童": "left_behind_one",
               "2": "left_behind_both", "双亲留守": "left_behind_both", "双亲留守儿童": "left_behind_both",
               "是": "left_behind_one"}

DISABILITY = {"无": "", "0": "", "否": "", "非残疾": "", "视力": "visual", "视力残疾": "visual", "1": "visual",
              "听力": "hearing", "听力残疾": "hearing", "2": "hearing", "言语": "speech", "言语残疾": "speech",
              "3": "speech", "肢体": "physical", "肢体残疾": "physical", "4": "physical", "智力": "intellectual",
              "智力残疾": "intellectual", "5": "intellectual", "精神": "mental", "精神残疾": "mental", "6": "mental",
              "多重": "multiple", "多重残疾": "multiple", "7": "multiple", "其他": "other", "其他残疾": "other",
              "8": "other"}

# GB/T 4761 family relation codes and everyday words → FamilyMember.RELATIONS.
RELATIONS = {
    "父亲": "父亲", "父": "父亲", "爸爸": "父亲", "51": "父亲", "继父": "父亲", "养父": "父亲",
    "母亲": "母亲", "母": "母亲", "妈妈": "母亲", "52": "母亲", "继母": "母亲", "养母": "母亲",
    "祖父": "祖父", "爷爷": "祖父", "61": "祖父", "祖母": "祖母", "奶奶": "祖母", "62": "祖母",
    "外祖父": "外祖父", "外公": "外祖父", "姥爷": "外祖父", "63": "外祖父",
    "外祖母": "外祖母", "外婆": "外祖母", "姥姥": "外祖母", "64": "外祖母",
    "兄弟姐妹": "兄弟姐妹", "兄": "兄弟姐妹", "哥哥": "兄弟姐妹", "弟": "兄弟姐妹", "弟弟": "兄弟姐妹",
    "姐": "兄弟姐妹", "姐姐": "兄弟姐妹", "妹": "兄弟姐妹", "妹妹": "兄弟姐妹",
    "71": "兄弟姐妹", "73": "兄弟姐妹", "75": "兄弟姐妹", "77": "兄弟姐妹",
    "叔伯姑舅姨": "叔伯姑舅姨", "叔叔": "叔伯姑舅姨", "伯父": "叔伯姑舅姨", "伯伯": "叔伯姑舅姨",
    "姑姑": "叔伯姑舅姨", "舅舅": "叔伯姑舅姨", "阿姨": "叔伯姑舅姨", "姨妈": "叔伯姑舅姨", "婶婶": "叔伯姑舅姨",
    "81": "叔伯姑舅姨", "其他亲属": "其他亲属", "亲属": "其他亲属", "97": "其他亲属",
    "其他": "其他", "99": "其他", "非亲属": "其他",
}


class RelationWidget(widgets.CharWidget):
    """Known words/codes become the registry's relation names; any other short word is kept as written."""

    def clean(self, value, row=None, **kwargs):
        text = _SPACE.sub("", cell_text(value, sanitiser.NAME))
        if not text:
            return ""
        if text in RELATIONS:
            return RELATIONS[text]
        if text.isdigit():
            raise ValueError(f"“{text}”不是可识别的关系代码，请填写关系名称（父亲、母亲、祖父、祖母…）")
        if len(text) > 20:
            raise ValueError("不能超过 20 个字")
        return text
