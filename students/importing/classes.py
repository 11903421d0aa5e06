"""班级 text of a 学籍 file → (grade level, class number) → SchoolClass of the school in the current school year.

Accepted: 三年级(1)班, 三年级1班, 三年级一班, 3年级1班, 三(1)班, 3(1)班, 初一(2)班, 七年级2班, 2023级1班 (by entry year);
in a 初中, 一年级…三年级 mean 七年级…九年级.
A class that the school does not have yet is created on commit (the national file is the authority on classes),
as long as its grade fits the school's 学段 — the preview lists the classes that will be created.
"""
import re
import unicodedata

from kongchuo.models import Grade, SchoolClass
from kongchuo.models.org import GRADE_NAMES

NUMERALS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
JUNIOR = {"初一": 7, "初二": 8, "初三": 9, "七": 7, "八": 8, "九": 9}
_NUM = r"(\d{1,2}|[一二三四五六七八九十]{1,3})"
_GRADE_WORD = re.compile(rf"^(?:(初[一二三])|{_NUM}年级|([一二三四五六七八九]))\(?{_NUM}\)?班?$")
_DIGIT_SHORT = re.compile(r"^(\d)\((\d{1,2})\)班?$")
_ENTRY_YEAR = re.compile(rf"^(\d{{4}})级\(?{_NUM}\)?班?$")


class ClassError(ValueError):
    pass


def _number(text):
    if text.isdigit():
        return int(text)
    if text == "十":
        return 10
    if text.startswith("十"):
        return 10 + NUMERALS[text[1]]
    if len(text) == 3 and text[1] == "十":
        return NUMERALS[text[0]] * 10 + NUMERALS[text[2]]
    if text.endswith("十"):
        return NUMERALS[text[0]] * 10
    return NUMERALS[text]


def parse_class(text, *, school_kind=None, year_start=None):
    """'三年级(1)班' → (3, 1). Raises ClassError with a Chinese reason."""
    raw = text
    text = unicodedata.normalize("NFKC", str(text or "")).replace(" ", "").replace("（", "(").replace("）", ")")
    if not text:
        raise ClassError("不能为空")
    match = _GRADE_WORD.match(text)
    if match:
        junior, grade_num, short, class_num = match.groups()
        if junior:
            level = JUNIOR[junior]
        else:
            level = _number(grade_num or short)
        return level, _number(class_num)
    match = _DIGIT_SHORT.match(text)
    if match:
        return int(match.group(1)), int(match.group(2))
    match = _ENTRY_YEAR.match(text)
    if match and year_start:
        entry, class_num = int(match.group(1)), _number(match.group(2))
        base = 7 if school_kind == "junior" else 1
        level = base + (year_start - entry)
        if not 1 <= level <= 9:
            raise ClassError(f"“{raw}”：{entry}级在 {year_start} 学年不在 1–9 年级")
        return level, class_num
    raise ClassError(f"“{raw}”无法识别，请写成“三年级(1)班”“初一(2)班”或“2023级1班”")


class ClassResolver:
    """Loads the school's classes of one school year once; answers 'which class is this text' from memory."""

    def __init__(self, school, school_year):
        self.school = school
        self.school_year = school_year
        self.grades = {g.level: g for g in Grade.objects.filter(school=school, school_year=school_year)}
        self.classes = {(c.grade.level, c.number): c for c in
                        SchoolClass.objects.filter(grade__school=school, grade__school_year=school_year)
                        .select_related("grade")}
        self.to_create = {}  # (level, number) → label, classes that the commit will create
        self._cache = {}

    def resolve(self, text):
        """(level, number) for a class text, checking the grade fits the school; raises ClassError."""
        key = text
        if key in self._cache:
            return self._cache[key]
        level, number = parse_class(text, school_kind=self.school.kind, year_start=self.school_year.start_date.year)
        if self.school.kind == "junior" and level <= 3:
            level += 6  # a 初中 writes 七年级 as 一年级 too
        if level not in self.school.grade_levels:
            raise ClassError(f"“{text}”：{self.school.name}（{self.school.get_kind_display()}）没有"
                             f"{GRADE_NAMES.get(level, f'{level}年级')}")
        if not 1 <= number <= 40:
            raise ClassError(f"“{text}”：班号 {number} 不合理")
        if (level, number) not in self.classes:
            self.to_create[(level, number)] = f"{GRADE_NAMES[level]}({number})班"
        self._cache[key] = (level, number)
        return level, number

    def materialise(self):
        """Create the missing grades and classes (commit only); returns the number of classes created."""
        created = 0
        for level, number in sorted(self.to_create):
            if (level, number) in self.classes:
                continue
            grade = self.grades.get(level)
            if grade is None:
                grade = Grade.objects.create(school=self.school, school_year=self.school_year, level=level,
                                             entry_year=self.school_year.start_date.year
                                             - (level - (7 if self.school.kind == "junior" else 1)))
                self.grades[level] = grade
            school_class = SchoolClass.objects.create(grade=grade, number=number)
            self.classes[(level, number)] = school_class
            created += 1
        return created

    def get(self, key):
        return self.classes[key]
