"""Demo district modelled on 上天梯管理区 (idempotent). Later apps add their own steps to DEMO_STEPS."""
from datetime import date

from django.contrib.auth import get_user_model

from kongchuo.models import (
    Area, CalendarException, EducationOffice, Grade, LeadershipGroup, LeadershipMember, Role, RoleAssignment, School,
    SchoolClass, SchoolYear, SubDistrict, Term, Village,
)

DEMO_PASSWORD = "Kongchuo@2026"

AREA = ("上天梯管理区", "411571")
VILLAGES = [
    ("土城社区", "41157100101", Village.Kind.COMMUNITY),
    ("新庄社区", "41157100102", Village.Kind.COMMUNITY),
    ("胡洼村", "41157100201", Village.Kind.VILLAGE),
    ("刘寨村", "41157100202", Village.Kind.VILLAGE),
    ("鲍店村", "41157100203", Village.Kind.VILLAGE),
    ("彭湾村", "41157100204", Village.Kind.VILLAGE),
]
# (code, name, short name, kind, classes per grade)
SCHOOLS = [
    ("2141571001", "上天梯管理区土城中心小学", "土城小", School.Kind.PRIMARY, 2),   # school A
    ("2141571002", "上天梯管理区胡洼小学", "胡洼小", School.Kind.PRIMARY, 1),       # school B
    ("2141571003", "上天梯管理区刘寨小学", "刘寨小", School.Kind.PRIMARY, 1),
    ("2141571004", "上天梯管理区初级中学", "天梯中", School.Kind.JUNIOR, 3),
]
SCHOOL_YEARS = [
    # name, start, end, current, terms: (number, start, end, vacation name, vac start, vac end)
    ("2025-2026", date(2025, 9, 1), date(2026, 8, 31), False, [
        (1, date(2025, 9, 1), date(2026, 1, 23), "寒假", date(2026, 1, 24), date(2026, 3, 1)),
        (2, date(2026, 3, 2), date(2026, 7, 3), "暑假", date(2026, 7, 4), date(2026, 8, 31)),
    ]),
    ("2026-2027", date(2026, 9, 1), date(2027, 8, 31), True, [
        (1, date(2026, 9, 1), date(2027, 1, 22), "寒假", date(2027, 1, 23), date(2027, 2, 21)),
        (2, date(2027, 2, 22), date(2027, 7, 2), "暑假", date(2027, 7, 3), date(2027, 8, 31)),
    ]),
]
HOLIDAYS = [
    (date(2025, 10, 1), date(2025, 10, 8), "国庆节、中秋节"),
    (date(2026, 1, 1), date(2026, 1, 1), "元旦"),
    (date(2026, 4, 6), date(2026, 4, 6), "清明节"),
    (date(2026, 5, 1), date(2026, 5, 5), "劳动节"),
    (date(2026, 6, 19), date(2026, 6, 19), "端午节"),
    (date(2026, 9, 25), date(2026, 9, 25), "中秋节"),
    (date(2026, 10, 1), date(2026, 10, 7), "国庆节"),
    (date(2027, 1, 1), date(2027, 1, 1), "元旦"),
]
MAKEUP_DAYS = [
    (date(2025, 9, 28), "国庆调休上课"),
    (date(2025, 10, 11), "国庆调休上课"),
    (date(2026, 9, 20), "国庆调休上课"),
    (date(2026, 10, 10), "国庆调休上课"),
]
AREA_GROUP = [  # 天梯政办〔2019〕30号
    ("张保杰", "上天梯管理区副调研员", LeadershipMember.Position.LEADER),
    ("刘从春", "上天梯管理区教育办负责人", LeadershipMember.Position.DEPUTY),
    ("朱颖", "上天梯管理区妇委会主任", LeadershipMember.Position.MEMBER),
    ("刘翔", "上天梯管理区农村发展局局长", LeadershipMember.Position.MEMBER),
    ("暴国", "上天梯管理区公安分局副局长", LeadershipMember.Position.MEMBER),
    ("江华", "上天梯管理区工商分局局长", LeadershipMember.Position.MEMBER),
    ("殷翼", "上天梯管理区土城办事处主任", LeadershipMember.Position.MEMBER),
    ("高吉永", "上天梯管理区组织人事局副局长", LeadershipMember.Position.MEMBER),
    ("廖燕", "上天梯管理区教育办副主任", LeadershipMember.Position.MEMBER),
]


def build_org():
    area, _ = Area.objects.update_or_create(code=AREA[1], defaults={"name": AREA[0]})
    EducationOffice.objects.update_or_create(area=area, defaults={"name": "上天梯管理区教育办公室"})
    sub, _ = SubDistrict.objects.update_or_create(code="411571001", defaults={"name": "土城办事处", "area": area})
    villages = {}
    for name, code, kind in VILLAGES:
        villages[name], _ = Village.objects.update_or_create(
            code=code, defaults={"name": name, "kind": kind, "subdistrict": sub})
    years = {}
    for name, start, end, current, terms in SCHOOL_YEARS:
        if current:
            SchoolYear.objects.filter(is_current=True).exclude(name=name).update(is_current=False)
        year, _ = SchoolYear.objects.update_or_create(
            name=name, defaults={"start_date": start, "end_date": end, "is_current": current})
        years[name] = year
        for number, t_start, t_end, vac, v_start, v_end in terms:
            Term.objects.update_or_create(school_year=year, number=number, defaults={
                "start_date": t_start, "end_date": t_end, "vacation_name": vac,
                "vacation_start": v_start, "vacation_end": v_end})
    for first, last, name in HOLIDAYS:
        d = first
        while d <= last:
            if d.weekday() < 5:
                CalendarException.objects.update_or_create(
                    date=d, defaults={"kind": CalendarException.Kind.HOLIDAY, "name": name})
            d = date.fromordinal(d.toordinal() + 1)
    for d, name in MAKEUP_DAYS:
        CalendarException.objects.update_or_create(date=d, defaults={"kind": CalendarException.Kind.WORKDAY,
                                                                     "name": name})
    schools = []
    for code, name, short, kind, n_classes in SCHOOLS:
        school, _ = School.objects.update_or_create(code=code, defaults={
            "name": name, "short_name": short, "kind": kind, "area": area, "subdistrict": sub,
            "address": f"信阳市上天梯管理区{short[:2]}", "phone": "0376-6" + code[-6:]})
        schools.append(school)
        for year in years.values():
            for level in school.grade_levels:
                grade, _ = Grade.objects.get_or_create(
                    school=school, school_year=year, level=level,
                    defaults={"entry_year": year.start_date.year - (level - (1 if level < 7 else 7))})
                for number in range(1, n_classes + 1):
                    SchoolClass.objects.get_or_create(grade=grade, number=number)
        group, _ = LeadershipGroup.objects.update_or_create(
            school=school, defaults={"area": area, "name": f"{name}控辍保学工作领导小组"})
        for order, (person, post, position) in enumerate([
            (f"{short[:2]}校长", "校长", LeadershipMember.Position.LEADER),
            (f"{short[:2]}副校长", "副校长", LeadershipMember.Position.DEPUTY),
            (f"{short[:2]}教导主任", "教导主任", LeadershipMember.Position.MEMBER),
        ]):
            LeadershipMember.objects.update_or_create(group=group, order=order,
                                                      defaults={"name": person, "post": post, "position": position})
    group, _ = LeadershipGroup.objects.update_or_create(
        area=area, school=None, defaults={"name": "上天梯管理区控辍保学工作领导小组",
                                          "document_number": "天梯政办〔2019〕30号",
                                          "established": date(2019, 12, 3)})
    for order, (person, post, position) in enumerate(AREA_GROUP):
        LeadershipMember.objects.update_or_create(group=group, order=order,
                                                  defaults={"name": person, "post": post, "position": position})
    return {"area": area, "subdistrict": sub, "villages": villages, "schools": schools,
            "year": years["2026-2027"]}


def current_class(school, level, number=1):
    return SchoolClass.objects.get(grade__school=school, grade__school_year__is_current=True, grade__level=level,
                                   number=number)


PERSONAS = [
    # username, real name, role, scope builder
    ("demo_admin", "王建国", Role.SYSADMIN, lambda o: {"area": o["area"]}),
    ("demo_leader", "张保杰", Role.LEADERSHIP, lambda o: {"area": o["area"]}),
    ("demo_office", "廖燕", Role.OFFICE_STAFF, lambda o: {"area": o["area"]}),
    ("demo_subdistrict", "殷翼", Role.SUBDISTRICT_STAFF, lambda o: {"subdistrict": o["subdistrict"]}),
    ("demo_village", "胡德明", Role.VILLAGE_CADRE, lambda o: {"village": o["villages"]["胡洼村"]}),
    ("demo_principal", "李文华", Role.SCHOOL_ADMIN, lambda o: {"school": o["schools"][0]}),
    ("demo_gradelead", "陈晓东", Role.GRADE_LEADER,
     lambda o: {"grade": current_class(o["schools"][0], 3).grade}),
    ("demo_headteacher", "周敏", Role.HEAD_TEACHER, lambda o: {"school_class": current_class(o["schools"][0], 3)}),
    ("demo_teacher", "吴婷", Role.TEACHER, lambda o: {"school": o["schools"][0]}),
    ("demo_principal2", "赵志刚", Role.SCHOOL_ADMIN, lambda o: {"school": o["schools"][1]}),
    ("demo_teacher2", "孙丽", Role.TEACHER, lambda o: {"school": o["schools"][1]}),
]


def build_personas(org):
    User = get_user_model()
    users = {}
    for username, real_name, role, scope in PERSONAS:
        user, created = User.objects.get_or_create(username=username, defaults={"real_name": real_name})
        if created:
            user.set_password(DEMO_PASSWORD)
        user.real_name = real_name
        if role == Role.SYSADMIN:
            user.is_staff = user.is_superuser = True
        user.save()
        RoleAssignment.objects.get_or_create(user=user, role=role, **scope(org))
        users[username] = user
    # demo_headteacher also teaches (包人) in the class; demo_office leads (包) school A.
    return users
