"""Column names of the files we read, and how a header cell in a real file is recognised.

National 学籍系统 export: SPEC §9 gives the column order; we map by NAME, never by position. A header cell is
normalised (full-width → half-width, all spaces removed, required-field stars dropped, brackets unified) and then
looked up in the canonical names and their aliases. Unknown columns are ignored and listed in the preview.
"""
import re
import unicodedata

# SPEC §9, in order. Family members follow as 成员1… / 成员2…, then 是否进城务工人员随迁子女.
NATIONAL_STUDENT_COLUMNS = [
    "学校标识码", "姓名", "性别", "出生日期", "出生地", "籍贯", "民族", "国籍/地区", "身份证件类型", "港澳台侨外",
    "健康状况", "政治面貌", "身份证件号", "户口性质", "户口所在地", "班级", "入学年月", "入学方式", "就读方式",
    "现住址", "通信地址", "家庭地址", "联系电话", "邮政编码", "是否独生子女", "是否受过学前教育", "是否留守儿童",
    "是否需要申请资助", "是否享受一补", "是否孤儿", "是否烈士或优抚子女", "上下学距离", "上下学方式",
    "是否需要乘坐校车", "曾用名", "身份证件有效期", "血型", "特长", "学籍辅号", "班内学号", "学生来源", "电子信箱",
    "主页地址", "残疾类型", "是否由政府购买学位", "随班就读",
]
MEMBER_FIELDS = [
    "姓名", "关系", "关系说明", "现住址", "户口所在地", "联系电话", "是否监护人", "身份证件类型", "身份证件号", "民族",
    "工作单位", "职务",
]
MEMBER_PREFIXES = ("成员1", "成员2")
NATIONAL_TAIL_COLUMNS = ["是否进城务工人员随迁子女"]


def national_columns():
    """All SPEC §9 column names in file order (the sample files and the benchmark write exactly these)."""
    members = [prefix + name for prefix in MEMBER_PREFIXES for name in MEMBER_FIELDS]
    return NATIONAL_STUDENT_COLUMNS + members + NATIONAL_TAIL_COLUMNS


# Columns some exports add or name differently → canonical name. Keys are already normalised.
NATIONAL_ALIASES = {
    "学籍号": "学籍号", "全国学籍号": "学籍号", "学籍号码": "学籍号", "全国学籍号码": "学籍号",
    "身份证号": "身份证件号", "身份证号码": "身份证件号", "身份证件号码": "身份证件号", "证件号码": "身份证件号",
    "证件号": "身份证件号", "证件类型": "身份证件类型",
    "出生年月日": "出生日期", "出生年月": "出生日期",
    "国籍(地区)": "国籍/地区", "国籍地区": "国籍/地区", "国籍": "国籍/地区",
    "户籍所在地": "户口所在地", "户籍地": "户口所在地", "户籍地址": "户口所在地",
    "班级名称": "班级", "所在班级": "班级",
    "学校代码": "学校标识码", "学校标识": "学校标识码",
    "是否留守": "是否留守儿童", "留守儿童": "是否留守儿童", "留守儿童类型": "是否留守儿童",
    "残疾类别": "残疾类型", "是否进城务工随迁子女": "是否进城务工人员随迁子女",
    "随迁子女": "是否进城务工人员随迁子女", "是否随迁子女": "是否进城务工人员随迁子女",
    "家庭联系电话": "联系电话",
}
for _prefix in MEMBER_PREFIXES:
    _n = _prefix[-1]
    for _name in MEMBER_FIELDS:
        for _variant in (f"家庭成员{_n}{_name}", f"成员{'一二'[int(_n) - 1]}{_name}", f"{_prefix}{_name}"):
            NATIONAL_ALIASES.setdefault(_variant, _prefix + _name)
    NATIONAL_ALIASES[f"{_prefix}身份证号"] = f"{_prefix}身份证件号"
    NATIONAL_ALIASES[f"{_prefix}身份证号码"] = f"{_prefix}身份证件号"
    NATIONAL_ALIASES[f"{_prefix}电话"] = f"{_prefix}联系电话"
    NATIONAL_ALIASES[f"{_prefix}与学生关系"] = f"{_prefix}关系"

# 学籍比对: population list of school-age children from 村/社区 (SPEC §4).
POPULATION_COLUMNS = ["姓名", "性别", "出生日期", "身份证件号", "村/社区", "监护人", "联系电话", "现住址", "备注"]
POPULATION_ALIASES = {
    "身份证号": "身份证件号", "身份证号码": "身份证件号", "身份证件号码": "身份证件号", "证件号码": "身份证件号",
    "出生年月日": "出生日期", "出生年月": "出生日期",
    "村": "村/社区", "社区": "村/社区", "村(社区)": "村/社区", "村社区": "村/社区", "所在村": "村/社区",
    "所在村(社区)": "村/社区", "村/居": "村/社区", "村居": "村/社区", "村名": "村/社区", "村代码": "村/社区",
    "监护人姓名": "监护人", "家长": "监护人", "家长姓名": "监护人", "监护人电话": "联系电话",
    "家长电话": "联系电话", "监护人联系电话": "联系电话", "电话": "联系电话", "手机号": "联系电话",
    "家庭住址": "现住址", "住址": "现住址", "居住地址": "现住址",
}

_SPACES = re.compile(r"\s+")
_MARKS = str.maketrans({"*": "", "★": "", "☆": "", "＊": "", ":": "", "：": "", "【": "(", "】": ")",
                        "〔": "(", "〕": ")", "[": "(", "]": ")", "、": "/", "\\": "/"})


def normalise_header(value) -> str:
    """'  身份证件号（必填）' → '身份证件号(必填)'; '* 姓　名' → '姓名'; full-width letters/digits → half-width."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    text = _SPACES.sub("", text).translate(_MARKS)
    return text


_HINT = re.compile(r"\((必填|选填|必须|可选|必填项|格式.*|如.*|例.*|yyyy.*|YYYY.*)\)$")


class ColumnMap:
    """Maps normalised header cells to canonical names for one kind of file."""

    def __init__(self, canonical, aliases):
        self.lookup = {normalise_header(name): name for name in canonical}
        self.lookup.update({normalise_header(k): v for k, v in aliases.items()})

    def canonical(self, header):
        key = normalise_header(header)
        if not key:
            return None
        if key in self.lookup:
            return self.lookup[key]
        stripped = _HINT.sub("", key)
        return self.lookup.get(stripped)


NATIONAL_MAP = ColumnMap(national_columns(), NATIONAL_ALIASES)
POPULATION_MAP = ColumnMap(POPULATION_COLUMNS, POPULATION_ALIASES)
