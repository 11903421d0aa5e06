"""Search columns for student names: full pinyin and initials (张保杰 → zhangbaojie, zbj).

pypinyin reads surnames as common words (曾 céng, 单 dān, 解 jiě …, PITFALLS.md, pypinyin issue #297), so the
surname is read from SURNAMES first (compound surnames before single ones) and only the given name goes through
pypinyin's phrase-aware conversion.

`fill(student)` sets name_pinyin, name_initials and id_last4 on an unsaved or saved instance without touching the
database; Student.save(), StudentQuerySet.bulk_create/bulk_update and every service call it, and bulk importers
must call it (or use the queryset's bulk_create, which does) — a row with empty search columns cannot be found.
"""
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

# Compound surnames (复姓, syllables separated by a space) and surnames whose reading differs from the common word.
SURNAMES = {
    # 复姓
    "欧阳": "ou yang", "司马": "si ma", "上官": "shang guan", "诸葛": "zhu ge", "东方": "dong fang", "皇甫": "huang fu",
    "尉迟": "yu chi", "万俟": "mo qi", "长孙": "zhang sun", "澹台": "tan tai", "令狐": "ling hu", "宇文": "yu wen",
    "慕容": "mu rong", "公孙": "gong sun", "轩辕": "xuan yuan", "夏侯": "xia hou", "司徒": "si tu",
    "司空": "si kong", "西门": "xi men", "南宫": "nan gong", "端木": "duan mu", "申屠": "shen tu", "呼延": "hu yan",
    "闻人": "wen ren", "赫连": "he lian", "钟离": "zhong li", "宗政": "zong zheng", "濮阳": "pu yang", "公冶": "gong ye",
    "太叔": "tai shu", "仲孙": "zhong sun", "乐正": "yue zheng", "第五": "di wu", "拓跋": "tuo ba", "百里": "bai li",
    # 单姓 read differently from the common word
    "曾": "zeng", "单": "shan", "解": "xie", "仇": "qiu", "朴": "piao", "查": "zha", "翟": "zhai", "区": "ou",
    "乐": "yue", "盖": "ge", "覃": "qin", "缪": "miao", "召": "shao", "员": "yun", "繁": "po", "黑": "he",
    "秘": "bi", "宓": "mi", "便": "pian", "种": "chong", "能": "nai", "隗": "wei", "柏": "bai", "薄": "bo",
    "折": "she", "祭": "zhai", "冼": "xian", "褚": "chu", "句": "gou", "阚": "kan", "逄": "pang", "眭": "sui",
    "卜": "bu", "重": "chong", "长": "chang", "朝": "chao", "都": "du", "郇": "huan", "啜": "chuai", "乜": "nie",
    "藏": "zang", "尉": "wei", "参": "shen", "沈": "shen", "任": "ren", "华": "hua", "纪": "ji", "燕": "yan",
    "那": "na", "洗": "xian", "过": "guo", "谌": "chen", "相": "xiang", "莘": "shen", "臧": "zang", "暴": "bao",
    "南": "nan", "荀": "xun", "贾": "jia", "宁": "ning", "奇": "qi", "应": "ying", "强": "qiang", "蔺": "lin",
    "万": "wan",
}
_LONGEST = max(len(k) for k in SURNAMES)


@lru_cache(maxsize=None)
def _char(c):
    """One character's most common reading (cached: a school district uses a few thousand characters)."""
    return lazy_pinyin(c, style=Style.NORMAL, v_to_u=False, errors="default")[0].lower()


def _syllables(text):
    """Lowercase toneless syllables, character by character (ü written v: lv, nv, as on a pinyin keyboard).

    Per character rather than pypinyin's phrase segmentation: a given name is not a phrase (兰若 reads lan ruo,
    not the phrase reading lan re), and it is ~60× faster (2 µs instead of 110 µs a name), which matters for a
    50,000-row import. Letters and digits are kept as one token."""
    out, token = [], ""
    for c in text:
        if "\u3400" <= c <= "\u9fff":
            if token:
                out.append(token.lower())
                token = ""
            out.append(_char(c))
        elif c.isalnum():
            token += c
    if token:
        out.append(token.lower())
    return out


def split_surname(name):
    """(surname, given) — a compound surname when the name starts with one and has a given name left."""
    name = (name or "").strip()
    for size in range(min(_LONGEST, len(name) - 1), 0, -1):
        if name[:size] in SURNAMES and size >= 2:
            return name[:size], name[size:]
    return name[:1], name[1:]


@lru_cache(maxsize=200_000)
def syllables(name):
    """The pinyin syllables of a person's name, surname read as a surname: 曾小红 → (zeng, xiao, hong)."""
    name = (name or "").strip().replace(" ", "").replace("·", "")
    if not name:
        return ()
    surname, given = split_surname(name)
    head = SURNAMES[surname].split() if surname in SURNAMES else _syllables(surname)
    return tuple(head + (_syllables(given) if given else []))


def name_pinyin(name):
    return "".join(syllables(name))[:200]


def name_initials(name):
    return "".join(s[0] for s in syllables(name) if s)[:50]


def id_last4(id_number):
    value = (id_number or "").strip().upper()
    return value[-4:] if len(value) >= 4 else ""


def fill(student):
    """Set the search columns of `student` (in memory, ~2 µs). Returns the student for chaining."""
    parts = syllables(student.name)
    student.name_pinyin = "".join(parts)[:200]
    student.name_initials = "".join(s[0] for s in parts if s)[:50]
    student.id_last4 = id_last4(student.id_number)
    return student


SEARCH_FIELDS = ("name_pinyin", "name_initials", "id_last4")
