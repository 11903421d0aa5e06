import datetime

import factory
from factory.django import DjangoModelFactory

from kongchuo.models import (
    Area, Grade, Role, RoleAssignment, School, SchoolClass, SchoolYear, SubDistrict, Term, User, Village,
)
from students.idnumbers import build as build_id
from students.models import CareAssignment, FamilyMember, Student

PASSWORD = "Test@Pass2026"


class AreaFactory(DjangoModelFactory):
    class Meta:
        model = Area

    name = factory.Sequence(lambda n: f"测试管理区{n}")
    code = factory.Sequence(lambda n: f"41{n:04d}")


class SubDistrictFactory(DjangoModelFactory):
    class Meta:
        model = SubDistrict

    area = factory.SubFactory(AreaFactory)
    name = factory.Sequence(lambda n: f"测试办事处{n}")
    code = factory.Sequence(lambda n: f"SD{n:05d}")


class VillageFactory(DjangoModelFactory):
    class Meta:
        model = Village

    subdistrict = factory.SubFactory(SubDistrictFactory)
    name = factory.Sequence(lambda n: f"测试村{n}")
    code = factory.Sequence(lambda n: f"V{n:06d}")


class SchoolFactory(DjangoModelFactory):
    class Meta:
        model = School

    subdistrict = factory.SubFactory(SubDistrictFactory)
    area = factory.LazyAttribute(lambda o: o.subdistrict.area)
    code = factory.Sequence(lambda n: f"21{n:08d}")
    name = factory.Sequence(lambda n: f"测试小学{n}")
    short_name = factory.Sequence(lambda n: f"测{n}")
    kind = School.Kind.PRIMARY


class SchoolYearFactory(DjangoModelFactory):
    class Meta:
        model = SchoolYear
        django_get_or_create = ("name",)

    name = "2026-2027"
    start_date = datetime.date(2026, 9, 1)
    end_date = datetime.date(2027, 8, 31)
    is_current = True


class TermFactory(DjangoModelFactory):
    class Meta:
        model = Term

    school_year = factory.SubFactory(SchoolYearFactory)
    number = 1
    start_date = datetime.date(2026, 9, 1)
    end_date = datetime.date(2027, 1, 22)


class GradeFactory(DjangoModelFactory):
    class Meta:
        model = Grade

    school = factory.SubFactory(SchoolFactory)
    school_year = factory.SubFactory(SchoolYearFactory)
    level = 3


class SchoolClassFactory(DjangoModelFactory):
    class Meta:
        model = SchoolClass

    grade = factory.SubFactory(GradeFactory)
    number = factory.Sequence(lambda n: n + 1)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    real_name = factory.Sequence(lambda n: f"测试用户{n}")

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        obj.set_password(extracted or PASSWORD)
        if create:
            obj.save(update_fields=["password"])


class RoleAssignmentFactory(DjangoModelFactory):
    class Meta:
        model = RoleAssignment

    user = factory.SubFactory(UserFactory)
    role = Role.SCHOOL_ADMIN


_seq = iter(range(1, 10**6))


def next_id_number(birth=datetime.date(2016, 5, 1), male=True):
    n = next(_seq) % 500
    return build_id("411503", birth, n * 2 + (1 if male else 0))


class StudentFactory(DjangoModelFactory):
    class Meta:
        model = Student

    name = factory.Sequence(lambda n: f"学生{n}")
    gender = Student.Gender.MALE
    birth_date = datetime.date(2016, 5, 1)
    id_number = factory.LazyAttribute(lambda o: next_id_number(o.birth_date, o.gender == "M"))
    student_number = factory.LazyAttribute(lambda o: f"G{o.id_number}")
    school_class = factory.SubFactory(SchoolClassFactory)
    grade = factory.LazyAttribute(lambda o: o.school_class.grade)
    school = factory.LazyAttribute(lambda o: o.school_class.grade.school)
    village = factory.SubFactory(VillageFactory)


class FamilyMemberFactory(DjangoModelFactory):
    class Meta:
        model = FamilyMember

    student = factory.SubFactory(StudentFactory)
    name = factory.Sequence(lambda n: f"家长{n}")
    relation = "父亲"
    phone = "13812345678"
    id_number = factory.LazyFunction(lambda: next_id_number(datetime.date(1985, 3, 3)))
    is_guardian = True


class CareAssignmentFactory(DjangoModelFactory):
    class Meta:
        model = CareAssignment

    teacher = factory.SubFactory(UserFactory)
    student = factory.SubFactory(StudentFactory)
