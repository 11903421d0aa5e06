"""A realistic 教职工名单 for a district (tests, the demo, the sample file): a title row above the header, header
names with stray spaces, some phones stored by Excel as numbers, ID numbers with a lowercase x, roles written the
ways schools write them (全角括号, 顿号, 冒号).

`python manage.py shell -c "from staff.samples import write_demo_sample; write_demo_sample()"` rewrites
students/importing/samples/staff_sample.xlsx (after `python manage.py demo`).
"""
import datetime
import random

from kongchuo.models import SchoolClass, SchoolYear, SubDistrict, Village
from kongchuo.models.org import GRADE_NAMES
from kongchuo.xlsx import table_workbook
from students.idnumbers import build as build_id
from students.importing.samples import AREA_CODE, SAMPLES_DIR, SURNAMES

GIVEN = "建国红梅志强丽娟海燕文博秀英建华玉兰国庆春生桂芳晓东立新德明淑珍美玲伟东"
HEADERS = ["序号", "姓 名", "手机号", "身份证号", "学校", "岗位", "角色"]


def _person(rng, used_phones, index):
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
    while True:
        phone = f"1{rng.choice('3589')}{rng.randrange(10**8, 10**9)}"
        if phone not in used_phones:
            used_phones.add(phone)
            break
    birth = datetime.date(1965 + rng.randrange(35), 1 + rng.randrange(12), 1 + rng.randrange(28))
    id_number = build_id(AREA_CODE, birth, 100 + index * 2 % 800 + rng.randrange(2))
    return name, phone, id_number


def _class_text(school_class, rng):
    level, number = school_class.grade.level, school_class.number
    style = rng.randrange(3)
    if style == 0:
        return f"{GRADE_NAMES[level]}{number}班"
    if style == 1:
        return f"{GRADE_NAMES[level]}（{number}）班"
    return f"{level}年级{number}班"


def staff_rows(area, n=300, seed=2026):
    """n rows for the schools of `area` (current school year's classes): per school a 校长, a 校领导 for every two
    grades, a 班主任 per class, then 科任教师; the 办事处 and 村 accounts and three 教育办 staff."""
    rng = random.Random(seed)
    year = SchoolYear.objects.filter(is_current=True).first()
    used, rows = set(), []

    def add(school, post, roles):
        name, phone, id_number = _person(rng, used, len(rows))
        phone_cell = float(phone) if rng.random() < 0.1 else phone
        id_cell = id_number.lower() if rng.random() < 0.1 else (id_number if rng.random() < 0.8 else "")
        rows.append([len(rows) + 1, name, phone_cell, id_cell, school.name if school else "", post, roles])

    for _ in range(3):
        add(None, "教育办工作人员", "教育办工作人员")
    for sd in SubDistrict.objects.filter(area=area).order_by("code"):
        add(None, "办事处干部", f"办事处工作人员（{sd.name}）")
    for v in Village.objects.filter(subdistrict__area=area).order_by("code"):
        add(None, "村干部", f"村干部：{v.name}")
    schools = list(area.schools.filter(is_active=True).order_by("code"))
    for school in schools:
        add(school, "校长", "校长；科任教师")
        classes = list(SchoolClass.objects.filter(grade__school=school, grade__school_year=year)
                       .select_related("grade").order_by("grade__level", "number"))
        levels = sorted({c.grade.level for c in classes})
        for i in range(0, len(levels), 2):
            pair = "、".join(GRADE_NAMES[level] for level in levels[i:i + 2])
            add(school, "副校长", f"校领导（{pair}）")
        for school_class in classes:
            add(school, "教师", f"班主任（{_class_text(school_class, rng)}）；科任教师")
    index = 0
    while len(rows) < n and schools:
        school = schools[index % len(schools)]
        add(school, rng.choice(["语文教师", "数学教师", "英语教师", "体育教师", "音乐教师"]), "科任教师")
        index += 1
    return rows[:n]


def staff_workbook(rows, *, title="上天梯管理区教职工名单"):
    return table_workbook(title=title, headers=HEADERS, rows=rows,
                          info_lines=["填表说明：一人一行；角色可填多个，用“；”分隔；班主任、校领导请在括号中写班级或年级。"],
                          widths=[6, 10, 14, 22, 28, 12, 40])


def write_staff_file(path, rows, **kwargs):
    with open(path, "wb") as fh:
        fh.write(staff_workbook(rows, **kwargs))
    return path


def write_demo_sample(n=60):
    from kongchuo.models import Area

    area = Area.objects.order_by("pk").first()
    SAMPLES_DIR.mkdir(exist_ok=True)
    return write_staff_file(SAMPLES_DIR / "staff_sample.xlsx", staff_rows(area, n=n))


SCHOOL_HEADERS = ["序号", "学校标识码", "学校名称", "学段", "所属办事处", "地址", "电话"]
VILLAGE_HEADERS = ["序号", "代码", "名称", "办事处"]


def demo_school_rows():
    """The demo district's 学校名录 (kongchuo.demo.SCHOOLS), as a district would send it."""
    from kongchuo.demo import SCHOOLS

    kinds = {"primary": "小学", "junior": "初中", "nine_year": "九年一贯制"}
    return [[i, code, name, kinds[kind], "土城办事处", f"信阳市上天梯管理区{short[:2]}", "0376-6" + code[-6:]]
            for i, (code, name, short, kind, _) in enumerate(SCHOOLS, start=1)]


def demo_village_rows():
    from kongchuo.demo import VILLAGES

    return [[i, code, name, "土城办事处"] for i, (name, code, _) in enumerate(VILLAGES, start=1)]


def write_org_samples():
    """students/importing/samples/school_list_sample.xlsx and village_list_sample.xlsx (no database needed)."""
    SAMPLES_DIR.mkdir(exist_ok=True)
    (SAMPLES_DIR / "school_list_sample.xlsx").write_bytes(table_workbook(
        title="上天梯管理区学校名录", headers=SCHOOL_HEADERS, rows=demo_school_rows(), widths=[6, 14, 30, 10, 14, 30, 16]))
    (SAMPLES_DIR / "village_list_sample.xlsx").write_bytes(table_workbook(
        title="上天梯管理区村（社区）名录", headers=VILLAGE_HEADERS, rows=demo_village_rows(), widths=[6, 16, 16, 16]))
