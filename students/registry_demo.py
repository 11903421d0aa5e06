"""Demo registry data (idempotent): tricky surnames, a household of siblings, flags, 学籍异动 (转出待确认,
已转出, 休学 with a proof file, 辍学), 包保 teachers and the 教育办 leader of school A."""
from datetime import date, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from kongchuo.models import SchoolClass
from students import services
from students.idnumbers import build as build_id
from students.models import FamilyMember, OfficeSchoolLiaison, StatusChange, Student, VulnerabilityFlag

AREA = "411502"  # a different area code from the random demo students: no collisions
F = VulnerabilityFlag.Kind
K = StatusChange.Kind
# name, sex, birth, school index, grade level, class number, flags [(kind, source, extra)]
SPECIAL = [
    ("曾子涵", "M", date(2017, 3, 12), 0, 3, 1, [(F.LEFT_BEHIND_BOTH, "village", {})]),
    ("曾雨桐", "F", date(2015, 7, 2), 0, 5, 1, [(F.LEFT_BEHIND_BOTH, "village", {})]),
    ("单明哲", "M", date(2017, 1, 20), 0, 3, 1, [(F.POVERTY, "rural", {"source_detail": "建档立卡脱贫户"})]),
    ("解思远", "M", date(2016, 11, 5), 0, 3, 1, [(F.DISABLED, "disabled_fed", {"disability_type": "physical"}),
                                               (F.SINGLE_PARENT, "school", {})]),
    ("翟欣怡", "F", date(2017, 5, 30), 0, 3, 2, [(F.ORPHAN, "civil_affairs", {})]),
    ("仇浩宇", "M", date(2013, 9, 9), 3, 7, 1, [(F.LEARNING, "school", {})]),
    ("朴佳怡", "F", date(2016, 2, 14), 1, 4, 1, [(F.MIGRANT, "school", {})]),
    ("查俊杰", "M", date(2016, 8, 18), 0, 4, 1, []),
    ("区梓萱", "F", date(2016, 4, 1), 0, 4, 2, []),
]
def _blank_pdf():
    """A real one-page PDF (proof uploads are parsed: a fake one would be refused)."""
    import io

    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page()
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def _class(school, level, number):
    return SchoolClass.objects.filter(grade__school=school, grade__school_year__is_current=True, grade__level=level,
                                      number=number).select_related("grade__school").first()


def _specials(org, principals):
    made = {}
    for seq, (name, sex, birth, school_index, level, number, flags) in enumerate(SPECIAL):
        id_number = build_id(AREA, birth, 2 * seq + (1 if sex == "M" else 0))
        student = Student.objects.filter(id_number=id_number).first()
        school = org["schools"][school_index]
        school_class = _class(school, level, number)
        if student is None and school_class is not None:
            student = services.student_create(
                actor=None, school_class=school_class, name=name, gender=sex, birth_date=birth, id_number=id_number,
                student_number="G" + id_number, hukou_address="河南省信阳市平桥区", address=f"上天梯管理区胡洼村{seq + 3}号",
                village=org["villages"]["胡洼村"], phone="")
        if student is None:
            continue
        made[name] = student
        for kind, source, extra in flags:
            if not VulnerabilityFlag.objects.filter(student=student, kind=kind).exists():
                if kind == F.DISABLED:
                    extra = {**extra, "disability_certificate": id_number + "42"}
                services.flag_set(actor=None, student=student, kind=kind, source=source,
                                  start_date=date(2026, 9, 1), **extra)
    return made


def _household(made):
    """曾子涵 and 曾雨桐 share both parents (one household); the father works away, so both are 双亲留守."""
    father = build_id("411503", date(1986, 4, 6), 111)
    mother = build_id("411503", date(1988, 10, 16), 112)
    for name in ("曾子涵", "曾雨桐"):
        student = made.get(name)
        if student is None or student.family_members.exists():
            continue
        FamilyMember.objects.create(student=student, name="曾建国", relation="父亲", phone="13903761234",
                                    id_number=father, is_guardian=True, works_away=True, works_away_place="广东省东莞市")
        FamilyMember.objects.create(student=student, name="刘秀英", relation="母亲", phone="13903765678",
                                    id_number=mother, is_guardian=True, works_away=True, works_away_place="广东省东莞市")
        FamilyMember.objects.create(student=student, name="曾德福", relation="祖父", phone="03766123456",
                                    id_number=build_id("411503", date(1955, 1, 8), 113), is_guardian=False)
    for i, name in enumerate(("单明哲", "解思远", "翟欣怡", "仇浩宇", "朴佳怡", "查俊杰", "区梓萱")):
        student = made.get(name)
        if student is not None and not student.family_members.exists():
            FamilyMember.objects.create(student=student, name=name[0] + "大伟", relation="父亲",
                                        phone=f"137000011{i:02d}", is_guardian=True,
                                        id_number=build_id("411502", date(1985, 6, 1), 301 + 2 * i))
            FamilyMember.objects.create(student=student, name="王丽", relation="母亲", phone=f"137000022{i:02d}",
                                        id_number="", is_guardian=True)


def _changes(org, principal, today):
    """A few 学籍异动 on random students of school A (keyed by the school's first students: idempotent)."""
    school = org["schools"][0]
    pool = list(Student.objects.filter(school=school, grade__level__in=(5, 6), id_number__startswith="411503")
                .order_by("id_number")[:6])
    if len(pool) < 4:
        return 0
    made = 0
    plan = [
        (pool[0], K.TRANSFER_OUT, {"other_school_name": "郑州市金水区纬五路第一小学", "reason": "随父母到郑州务工"}),
        (pool[1], K.TRANSFER_OUT, {"to_school": org["schools"][1], "reason": "搬家到胡洼村", "confirm": True}),
        (pool[2], K.SUSPEND, {"reason": "因病住院治疗（白血病）", "expected_return_date": today + timedelta(days=120),
                              "documents": True}),
        (pool[3], K.DROP_OUT, {"reason": "厌学，多次劝返无效，已转入控辍个案"}),
    ]
    for student, kind, extra in plan:
        if StatusChange.objects.filter(student=student).exists():
            continue
        extra = dict(extra)
        confirm = extra.pop("confirm", False)
        if extra.pop("documents", False):
            extra["documents"] = [SimpleUploadedFile("医院诊断证明.pdf", _blank_pdf(), content_type="application/pdf")]
        change = services.status_change_record(actor=principal, student=student, kind=kind,
                                               date=today - timedelta(days=20), **extra)
        if confirm:
            services.transfer_confirm(actor=principal, change=change, receiving_school=change.to_school,
                                      received_date=today - timedelta(days=10), note="对方学校已回执")
        made += 1
    return made


def _care(org, users, made):
    school_a = org["schools"][0]
    head = users.get("demo_headteacher")
    for name in ("曾子涵", "单明哲", "解思远"):
        student = made.get(name)
        if head and student and not student.care_assignments.filter(is_active=True).exists():
            services.care_assign(actor=None, teacher=head, students=[student])
    office = users.get("demo_office")
    if office and not OfficeSchoolLiaison.objects.filter(school=school_a, is_active=True).exists():
        services.liaison_set(actor=None, school=school_a, leader=office)


@transaction.atomic
def registry_demo(*, org, users):
    today = timezone.localdate()
    principal = users.get("demo_principal")
    made = _specials(org, principal)
    _household(made)
    changes = _changes(org, principal, today)
    _care(org, users, made)
    flags = VulnerabilityFlag.objects.filter(end_date__isnull=True).count()
    return (f"学籍：特殊姓氏学生 {len(made)} 名，有效重点关注标记 {flags} 个，本次新增学籍异动 {changes} 条，"
            f"转出待确认 {Student.objects.filter(status=Student.Status.TRANSFER_PENDING).count()} 名")
