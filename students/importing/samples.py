"""Realistic national 学籍系统 exports and village population lists, generated (tests, demo files, benchmark).

A generated export looks like the real thing: two title rows above the header, header names with stray spaces
and full-width brackets, option values sometimes as codes (性别 1/2, 是否 1/0, 留守 0/1/2, 民族 01), dates as text
in four spellings or as Excel serial numbers / date cells, ID numbers ending in a lowercase x or typed in
full-width digits, an extra column the importer does not know, and blank rows at the end.

`python manage.py shell -c "from students.importing.samples import write_demo_samples; write_demo_samples()"`
rewrites the files under students/importing/samples/.
"""
import datetime
import random
from pathlib import Path

from students.idnumbers import build as build_id

from .columns import MEMBER_FIELDS, MEMBER_PREFIXES, NATIONAL_STUDENT_COLUMNS, NATIONAL_TAIL_COLUMNS

SAMPLES_DIR = Path(__file__).resolve().parent / "samples"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟"
GIVEN = "子涵浩宇欣怡梓萱一诺宇轩雨桐思远佳怡俊杰子轩梦琪晨阳雅静博文嘉怡明哲紫涵天佑若曦家豪诗涵志强秀英建华丽娟海燕文博"
AREA_CODE = "411503"
GRADE_WORDS = "一二三四五六七八九"
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
# How the header of a real file spells some columns (spaces, full-width brackets).
MESSY_HEADERS = {"姓名": "姓 名", "国籍/地区": "国籍（地区）", "出生日期": "出生日期 ", "身份证件号": " 身份证件号",
                 "成员1姓名": "成员1 姓名", "班级": "班　级"}


def _name(rng):
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def _date_cell(rng, d, messy):
    if not messy:
        return d.isoformat()
    style = rng.randrange(7)
    if style == 0:
        return f"{d.year}/{d.month}/{d.day}"
    if style == 1:
        return d.strftime("%Y%m%d")
    if style == 2:
        return f"{d.year}年{d.month}月{d.day}日"
    if style == 3:
        return (d - datetime.date(1899, 12, 30)).days  # Excel serial typed as a number
    if style == 4:
        return d  # a real date cell
    return d.isoformat()


class NationalExport:
    """Rows of a national export for one school. `classes` = [(level, number)], `villages` = village names."""

    def __init__(self, *, school_code, school_name="测试小学", classes=((3, 1),), villages=("胡洼村",), year_start=2026,
                 seed=1, messy=True, area_code=AREA_CODE, first_sequence=0):
        self.school_code, self.school_name = school_code, school_name
        self.classes, self.villages = list(classes), list(villages)
        self.year_start, self.seed, self.messy = year_start, seed, messy
        self.area_code = area_code
        self.first_sequence = first_sequence
        self.used = set()

    @staticmethod
    def header(*, messy=True):
        columns = (NATIONAL_STUDENT_COLUMNS + [p + f for p in MEMBER_PREFIXES for f in MEMBER_FIELDS]
                   + NATIONAL_TAIL_COLUMNS)
        header = [MESSY_HEADERS.get(c, c) if messy else c for c in columns]
        return header + (["备注（学校自填）"] if messy else [])

    def title_rows(self):
        return [["全国中小学生学籍信息管理系统  学生基础信息导出"],
                [f"学校：{self.school_name}（{self.school_code}）    导出时间：{self.year_start}-09-10"]]

    def _id(self, birth, male):
        seq = self.first_sequence
        while True:
            number = build_id(self.area_code, birth, (seq % 500) * 2 + (1 if male else 0))
            if number not in self.used:
                self.used.add(number)
                return number
            seq += 1
            if seq - self.first_sequence > 500:
                birth += datetime.timedelta(days=1)
                seq = self.first_sequence

    def rows(self, count):
        rng = random.Random(self.seed)
        messy = self.messy
        for i in range(count):
            level, number = self.classes[i % len(self.classes)]
            birth = datetime.date(self.year_start - 5 - level, 1, 1) + datetime.timedelta(days=rng.randrange(365))
            male = rng.random() < 0.52
            id_number = self._id(birth, male)
            shown_id = id_number
            if messy and id_number.endswith("X") and rng.random() < 0.7:
                shown_id = id_number[:-1] + "x"
            elif messy and rng.random() < 0.02:
                shown_id = id_number.translate(FULLWIDTH)
            name = _name(rng)
            village = rng.choice(self.villages)
            address = f"上天梯管理区{village}{rng.randrange(1, 120)}号"
            father_birth = datetime.date(birth.year - 27 - rng.randrange(8), 1 + rng.randrange(12), 1 + rng.randrange(28))
            mother_birth = datetime.date(birth.year - 25 - rng.randrange(8), 1 + rng.randrange(12), 1 + rng.randrange(28))
            left = rng.choices((0, 1, 2), weights=(80, 12, 8))[0]
            disabled = "肢体" if rng.random() < 0.01 else "无"
            code = messy and rng.random() < 0.3
            class_text = (f"{GRADE_WORDS[level - 1]}年级({number})班" if not messy or rng.random() < 0.7
                          else f"{level}年级{number}班")
            row = [
                self.school_code, name, (1 if male else 2) if code else ("男" if male else "女"),
                _date_cell(rng, birth, messy), "河南省信阳市平桥区", "河南省信阳市", "01" if code else "汉族", "中国",
                1 if code else "居民身份证", "否", "健康或良好", "群众", shown_id, "农业户口", "河南省信阳市平桥区",
                class_text, f"{self.year_start - level + 1}-09", "就近入学", "走读", address, address, address,
                f"13{rng.randrange(100000000, 999999999)}", "464000", "否", "是", (left if code else
                                                                                  ("非留守", "单亲留守", "双亲留守")[left]),
                "否", "否", 0 if code else "否", "否", round(rng.uniform(0.3, 4.5), 1), "步行", "否", "", "", "", "",
                "", rng.randrange(1, 50), "正常入学", "", "", disabled, "否", "",
            ]
            father = [name[0] + _name(rng)[1:], "父亲", "", address, "河南省信阳市平桥区",
                      f"139{rng.randrange(10000000, 99999999)}", 1 if code else "是", "居民身份证",
                      build_id(self.area_code, father_birth, 11 + 2 * rng.randrange(400)), "汉族",
                      "浙江省杭州市某电子厂" if left else "本地务农", ""]
            mother = [_name(rng), "母亲", "", address, "河南省信阳市平桥区", f"137{rng.randrange(10000000, 99999999)}",
                      1 if code else "是", "居民身份证", build_id(self.area_code, mother_birth, 10 + 2 * rng.randrange(400)),
                      "汉族", "本地务农", ""]
            tail = ["否"]
            yield row + father + mother + tail + (["" if rng.random() < 0.9 else "转学生"] if messy else [])

    def write(self, path, count, *, engine="openpyxl", blank_tail=3):
        """Write `count` rows to `path` (.xlsx). engine: openpyxl (small files) or xlsxwriter (fast, shared strings
        like files saved by Excel)."""
        header = self.header(messy=self.messy)
        rows = self.rows(count)
        if engine == "xlsxwriter":
            import xlsxwriter

            wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False})
            ws = wb.add_worksheet("学生信息")
            date_format = wb.add_format({"num_format": "yyyy-mm-dd"})
            r = 0
            for title in self.title_rows():
                ws.write_row(r, 0, title)
                r += 1
            ws.write_row(r, 0, header)
            r += 1
            for row in rows:
                for c, value in enumerate(row):
                    if isinstance(value, datetime.date):
                        ws.write_datetime(r, c, datetime.datetime.combine(value, datetime.time()), date_format)
                    elif value != "":
                        ws.write(r, c, value)
                r += 1
            wb.close()
            return path
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.title = "学生信息"
        for title in self.title_rows():
            ws.append(title)
        ws.append(header)
        for row in rows:
            ws.append([None if v == "" else v for v in row])
            for cell in ws[ws.max_row]:
                if isinstance(cell.value, datetime.date):
                    cell.number_format = "yyyy-mm-dd"
        for _ in range(blank_tail):
            ws.append([""] * 3)
        wb.save(path)
        return path


def write_population_list(path, rows, *, title="胡洼村适龄儿童花名册（6–15 周岁）"):
    """rows: dicts with 姓名 性别 出生日期 身份证件号 村/社区 监护人 联系电话 现住址 (and 备注)."""
    from openpyxl import Workbook

    columns = ["序号", "姓名", "性别", "出生日期", "身份证号码", "村（社区）", "监护人姓名", "联系电话", "现住址", "备注"]
    keys = [None, "姓名", "性别", "出生日期", "身份证件号", "村/社区", "监护人", "联系电话", "现住址", "备注"]
    wb = Workbook()
    ws = wb.active
    ws.title = "适龄儿童"
    ws.append([title])
    ws.append(["填报单位：", "", "", "填报日期：2026-09-05"])
    ws.append(columns)
    for index, row in enumerate(rows, start=1):
        ws.append([index] + [row.get(k, "") for k in keys[1:]])
    wb.save(path)
    return path


def write_demo_samples():
    """The two files under samples/: a national export for the demo's school A, and a 胡洼村 population list."""
    from kongchuo.demo import SCHOOLS

    SAMPLES_DIR.mkdir(exist_ok=True)
    code, name = SCHOOLS[0][0], SCHOOLS[0][1]
    export = NationalExport(school_code=code, school_name=name, classes=[(1, 1), (1, 2), (2, 1), (3, 3)],
                            villages=["胡洼村", "刘寨村", "土城社区", "鲍店村"], seed=2026, first_sequence=700)
    export.write(SAMPLES_DIR / "national_export_sample.xlsx", 40)
    rng = random.Random(7)
    rows = []
    try:  # children of the demo district who are enrolled: three found by ID number, one by name + birth date
        from students.models import Student

        known = list(Student.objects.filter(village__name="胡洼村", school__isnull=False,
                                             birth_date__range=("2011-09-01", "2020-08-31")).order_by("pk")[:4])
    except Exception:  # noqa: BLE001 - no database: the list simply has no enrolled children
        known = []
    for index, student in enumerate(known):
        rows.append({"姓名": student.name, "性别": student.get_gender_display(), "出生日期": student.birth_date.isoformat(),
                     "身份证件号": student.id_number if index < 3 else "", "村/社区": "胡洼村",
                     "监护人": _name(rng), "联系电话": f"139{rng.randrange(10000000, 99999999)}",
                     "现住址": f"胡洼村{rng.randrange(1, 90)}号"})
    for i in range(12):
        birth = datetime.date(2012 + i % 8, 1 + rng.randrange(12), 1 + rng.randrange(28))
        male = i % 2 == 0
        rows.append({"姓名": _name(rng), "性别": "男" if male else "女", "出生日期": birth.isoformat(),
                     "身份证件号": build_id(AREA_CODE, birth, 900 + (i * 2) % 90 + (1 if male else 0)),
                     "村/社区": "胡洼村", "监护人": _name(rng), "联系电话": f"138{rng.randrange(10000000, 99999999)}",
                     "现住址": f"胡洼村{rng.randrange(1, 90)}号"})
    write_population_list(SAMPLES_DIR / "population_list_sample.xlsx", rows)
    return SAMPLES_DIR


def write_national(path, rows, *, columns=None, title_rows=2, blank_tail=2):
    """A national export from dicts keyed by SPEC §9 column names (missing keys → blank cells). For tests."""
    from openpyxl import Workbook

    from .columns import national_columns

    columns = columns or national_columns()
    wb = Workbook()
    ws = wb.active
    for index in range(title_rows):
        ws.append(["全国中小学生学籍信息管理系统 学生信息" if index == 0 else "导出时间：2026-09-10"])
    ws.append(columns)
    for row in rows:
        ws.append([row.get(c) for c in columns])
    for _ in range(blank_tail):
        ws.append([None, ""])
    wb.save(path)
    return path
