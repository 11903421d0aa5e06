"""上线检查: what is missing before a district can start (学年与学期, 校历, 学校, 村, 账号, 领导小组)."""
from kongchuo import access
from kongchuo.models import (
    Area, CalendarException, LeadershipGroup, Role, RoleAssignment, School, SchoolClass, SchoolYear, Term, Village,
)


def _item(title, ok, detail, fix=""):
    return {"title": title, "ok": bool(ok), "detail": detail, "fix": fix}


def setup_checklist(user):
    """One entry per step, for the areas the user covers (系统管理员 / 教育办, through kongchuo.access)."""
    area_ids = {a.area_id for a in access.get_scope(user).assignments if a.area_id}
    areas = list(Area.objects.filter(pk__in=area_ids))
    items = []
    year = SchoolYear.objects.filter(is_current=True).first()
    items.append(_item("学年", year, f"当前学年：{year}" if year else "没有设为“当前学年”的学年",
                       "系统管理 → 学年：新建学年并勾选“当前学年”"))
    terms = Term.objects.filter(school_year=year).count() if year else 0
    items.append(_item("学期", terms >= 2, f"当前学年已设 {terms} 个学期（应为 2 个）", "系统管理 → 学期"))
    calendar = (CalendarException.objects.filter(date__range=(year.start_date, year.end_date)).count()
                if year else 0)
    items.append(_item("校历（节假日与调休）", calendar > 0, f"当前学年登记了 {calendar} 天节假日/调休",
                       "系统管理 → 校历例外日期"))
    for area in areas:
        schools = School.objects.filter(area=area, is_active=True)
        n_schools = schools.count()
        items.append(_item(f"学校（{area}）", n_schools, f"{n_schools} 所学校",
                           "导入学校名录，或系统管理 → 学校"))
        villages = Village.objects.filter(subdistrict__area=area).count()
        items.append(_item(f"村（社区）（{area}）", villages, f"{villages} 个村（社区）", "系统管理 → 村/社区"))
        no_classes = [s.name for s in schools if year and not SchoolClass.objects.filter(
            grade__school=s, grade__school_year=year).exists()]
        items.append(_item("年级与班级", year and not no_classes,
                           "全部学校已有当前学年的班级" if not no_classes else "没有班级的学校：" + "、".join(no_classes),
                           "导入学籍（自动建班），或系统管理 → 班级"))
        admins = set(RoleAssignment.objects.filter(role=Role.SCHOOL_ADMIN, is_active=True, user__is_active=True,
                                                   school__area=area).values_list("school_id", flat=True))
        missing = [s.name for s in schools if s.pk not in admins]
        items.append(_item("学校管理员账号", not missing and n_schools,
                           "每所学校都有校长/学校管理员" if not missing else "没有学校管理员的学校：" + "、".join(missing),
                           "教育办导入教职工名单（staff_sample.xlsx），或在“教职工账号”中新建"))
        teachers = RoleAssignment.objects.filter(role__in=[Role.TEACHER, Role.HEAD_TEACHER], is_active=True,
                                                 user__is_active=True).filter(
            school__area=area).count() + RoleAssignment.objects.filter(
            role=Role.HEAD_TEACHER, is_active=True, school_class__grade__school__area=area).count()
        items.append(_item("教师账号", teachers, f"{teachers} 个教师/班主任角色", "导入教职工名单"))
        office = RoleAssignment.objects.filter(role=Role.OFFICE_STAFF, area=area, is_active=True).count()
        items.append(_item("教育办账号", office, f"{office} 个教育办工作人员", "系统管理 → 用户 / 角色分配"))
        group = LeadershipGroup.objects.filter(area=area, school__isnull=True).first()
        members = group.members.count() if group else 0
        items.append(_item("领导小组", group and members, f"{group}：{members} 名成员" if group else "未建立管理区领导小组",
                           "系统管理 → 控辍保学领导小组"))
    return items
