import pytest

from students import pinyin
from students.models import Student
from tests import factories as f


@pytest.mark.parametrize("name,full,initials", [
    ("张保杰", "zhangbaojie", "zbj"),
    ("曾小红", "zengxiaohong", "zxh"),
    ("单田芳", "shantianfang", "stf"),
    ("解缙", "xiejin", "xj"),
    ("仇英", "qiuying", "qy"),
    ("朴槿惠", "piaojinhui", "pjh"),
    ("查良镛", "zhaliangyong", "zly"),
    ("翟志刚", "zhaizhigang", "zzg"),
    ("区志华", "ouzhihua", "ozh"),
    ("尉迟恭", "yuchigong", "ycg"),
    ("欧阳娜娜", "ouyangnana", "oynn"),
    ("吕布", "lvbu", "lb"),
    ("阿依古丽·买买提", "ayigulimaimaiti", "ayglmmt"),
])
def test_surname_table_reads_common_surnames_right(name, full, initials):
    assert pinyin.name_pinyin(name) == full
    assert pinyin.name_initials(name) == initials


def test_single_character_name_is_the_surname_reading():
    assert pinyin.name_pinyin("曾") == "zeng"


def test_fill_sets_all_search_columns_without_saving():
    student = Student(name="单明哲", id_number="11010519491231002X")
    pinyin.fill(student)
    assert (student.name_pinyin, student.name_initials, student.id_last4) == ("shanmingzhe", "smz", "002X")
    assert student.pk is None


def test_save_keeps_search_columns_in_step(db):
    student = f.StudentFactory(name="曾子涵")
    assert student.name_pinyin == "zengzihan"
    student.name = "解思远"
    student.save(update_fields=["name"])
    student.refresh_from_db()
    assert (student.name_pinyin, student.name_initials) == ("xiesiyuan", "xsy")


def test_bulk_create_and_bulk_update_fill_search_columns(db):
    school_class = f.SchoolClassFactory()
    rows = [Student(name="翟欣怡", gender="F", birth_date="2016-05-01", id_number=f.next_id_number(),
                    school_class=school_class, grade=school_class.grade, school=school_class.grade.school)]
    Student.objects.bulk_create(rows)
    stored = Student.objects.get(name="翟欣怡")
    assert stored.name_initials == "zxy" and stored.id_last4 == stored.id_number[-4:]
    stored.name = "区梓萱"
    Student.objects.bulk_update([stored], ["name"])
    stored.refresh_from_db()
    assert stored.name_pinyin == "ouzixuan"


def test_queryset_update_of_name_is_refused(db):
    f.StudentFactory(name="王芳")
    with pytest.raises(TypeError, match="拼音检索字段"):
        Student.objects.update(name="李芳")
    assert Student.objects.filter(status="enrolled").update(status="enrolled") == 1
