"""Demo students with guardians and valid GB 11643 numbers (idempotent: keyed by ID number)."""
import random
from datetime import date

from django.db import transaction

from kongchuo.models import SchoolClass
from students.idnumbers import build as build_id
from students.models import CareAssignment, FamilyMember, Student
from students.registry_demo import registry_demo
from students.services import enrolments_open_bulk

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "子涵浩宇欣怡梓萱一诺宇轩雨桐思远佳怡俊杰子轩梦琪晨阳雅静博文嘉怡明哲紫涵天佑若曦家豪诗涵志强秀英建华丽娟海燕文博"
AREA_CODE = "411503"  # 信阳市平桥区


def _name(rng):
    given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
    return rng.choice(SURNAMES) + given


def build(*, org, users, options, stdout):
    total = options.get("students") or 400
    rng = random.Random(20261130)
    classes = list(SchoolClass.objects.filter(grade__school_year=org["year"]).select_related("grade__school")
                   .order_by("grade__school__code", "grade__level", "number"))
    villages = list(org["villages"].values())
    per_class = max(1, total // len(classes))
    existing = set(Student.objects.values_list("id_number", flat=True))
    new_students, families = [], []
    seq = 0
    for school_class in classes:
        grade = school_class.grade
        for _ in range(per_class):
            seq += 1
            age = 5 + grade.level  # a first-grader turns 6 by 31 August
            birth = date(org["year"].start_date.year - age, 1 + rng.randrange(12), 1 + rng.randrange(28))
            gender = rng.choice("MF")
            sequence = (seq * 2) % 1000
            if gender == "M":
                sequence = sequence + 1 if sequence < 999 else 997
            id_number = build_id(AREA_CODE, birth, sequence)
            name, village, house = _name(rng), rng.choice(villages), rng.randrange(1, 90)
            if id_number in existing:
                continue
            existing.add(id_number)
            student = Student(
                name=name, gender=gender, birth_date=birth, id_number=id_number, student_number="G" + id_number,
                hukou_address="河南省信阳市平桥区", village=village, address=f"上天梯管理区{village.name}{house}号",
                school=grade.school, grade=grade, school_class=school_class,
            )
            new_students.append(student)
    with transaction.atomic():
        Student.objects.bulk_create(new_students, batch_size=2000)  # StudentQuerySet fills the pinyin columns
        by_id = dict(Student.objects.filter(id_number__in=[s.id_number for s in new_students])
                     .values_list("id_number", "pk"))
        for student in new_students:
            surname = student.name[0]
            father_birth = date(student.birth_date.year - 28 - rng.randrange(8), 1 + rng.randrange(12), 10)
            mother_birth = date(student.birth_date.year - 26 - rng.randrange(8), 1 + rng.randrange(12), 12)
            away = rng.random() < 0.3
            families.append(FamilyMember(
                student_id=by_id[student.id_number], name=surname + _name(rng)[1:], relation="父亲",
                phone=f"13{rng.randrange(100000000, 999999999)}",
                id_number=build_id(AREA_CODE, father_birth, 11 + rng.randrange(400) * 2),
                is_guardian=True, works_away=away, works_away_place="浙江省杭州市" if away else ""))
            families.append(FamilyMember(
                student_id=by_id[student.id_number], name=_name(rng), relation="母亲",
                phone=f"15{rng.randrange(100000000, 999999999)}",
                id_number=build_id(AREA_CODE, mother_birth, 10 + rng.randrange(400) * 2),
                is_guardian=True))
        FamilyMember.objects.bulk_create(families, batch_size=4000)
        enrolments_open_bulk(Student.objects.filter(id_number__in=[s.id_number for s in new_students]),
                             on=org["year"].start_date)
    _assign_demo_teachers(org, users)
    stdout.write(f"学生：新增 {len(new_students)} 名（共 {Student.objects.count()} 名），家庭成员 {len(families)} 条")
    stdout.write(registry_demo(org=org, users=users))


def _assign_demo_teachers(org, users):
    school_a, school_b = org["schools"][0], org["schools"][1]
    for username, school in (("demo_teacher", school_a), ("demo_teacher2", school_b)):
        teacher = users[username]
        target = Student.objects.filter(school=school, grade__level=3, grade__school_year=org["year"],
                                        id_number__startswith=AREA_CODE).order_by("pk")  # not the registry_demo ones
        for student in target[:6]:
            CareAssignment.objects.get_or_create(teacher=teacher, student=student, is_active=True)
