"""django-import-export resources: which column of a national 学籍 file fills which model field, with which widget.

The import pipeline (national.py) cleans each row through these fields (`field.clean(row)` → the widget) and
collects the ValueErrors per column; it does its own batching and writing (bulk.py) because the stock
`import_data` loop makes per-row queries and skips history on its bulk path (PITFALLS.md).
"""
from import_export import fields, resources

from students.models import FamilyMember, Student

from . import widgets as w


def _field(attribute, column, widget):
    return fields.Field(attribute=attribute, column_name=column, widget=widget)


class StudentResource(resources.ModelResource):
    name = _field("name", "姓名", w.TextWidget(50, required=True, compact=True))
    former_name = _field("former_name", "曾用名", w.TextWidget(50, compact=True))
    gender = _field("gender", "性别", w.ChoiceWidget(w.GENDER, hint="男/女 或 1/2", required=True))
    birth_date = _field("birth_date", "出生日期", w.ChineseDateWidget(required=True))
    ethnicity = _field("ethnicity", "民族", w.ChoiceWidget(w.ETHNICITY_OPTIONS, hint="民族名称（如 汉族）或代码（如 01）",
                                                         default="汉族"))
    id_type = _field("id_type", "身份证件类型", w.ChoiceWidget(w.ID_TYPES, hint="居民身份证 等名称或代码 1/2/3/4/Z",
                                                            default=Student.IdType.RESIDENT))
    id_number = _field("id_number", "身份证件号", w.IdNumberWidget())
    student_number = _field("student_number", "学籍号", w.IdNumberWidget())
    phone = _field("phone", "联系电话", w.PhoneWidget())
    hukou_address = _field("hukou_address", "户口所在地", w.TextWidget(200))
    address = _field("address", "现住址", w.TextWidget(200))

    class Meta:
        model = Student
        import_id_fields = ("id_number",)
        fields = ("name", "former_name", "gender", "birth_date", "ethnicity", "id_type", "id_number",
                  "student_number", "phone", "hukou_address", "address")
        skip_unchanged = True
        skip_diff = True
        use_bulk = True


class FamilyMemberResource(resources.ModelResource):
    """成员1… / 成员2… columns; `prefix` picks the member."""

    name = _field("name", "姓名", w.TextWidget(50, compact=True))
    relation = _field("relation", "关系", w.RelationWidget())
    phone = _field("phone", "联系电话", w.PhoneWidget())
    id_type = _field("id_type", "身份证件类型", w.ChoiceWidget(w.ID_TYPES, hint="居民身份证 等名称或代码 1/2/3/4/Z",
                                                            default=Student.IdType.RESIDENT))
    id_number = _field("id_number", "身份证件号", w.IdNumberWidget())
    is_guardian = _field("is_guardian", "是否监护人", w.YesNoWidget(default=False))
    address = _field("address", "现住址", w.TextWidget(200))
    employer = _field("employer", "工作单位", w.TextWidget(100))

    class Meta:
        model = FamilyMember
        fields = ("name", "relation", "phone", "id_type", "id_number", "is_guardian", "address", "employer")
        skip_diff = True
        use_bulk = True

    def __init__(self, prefix="成员1", **kwargs):
        super().__init__(**kwargs)
        self.prefix = prefix
        for f in self.fields.values():
            f.column_name = prefix + f.column_name


# Row-level columns that are not a model field of their own.
FLAG_WIDGETS = {
    "是否留守儿童": w.ChoiceWidget(w.LEFT_BEHIND, hint="0 非留守 / 1 单亲留守 / 2 双亲留守", default=""),
    "是否孤儿": w.YesNoWidget(default=False),
    "残疾类型": w.ChoiceWidget(w.DISABILITY, hint="无/视力/听力/言语/肢体/智力/精神/多重/其他", default=""),
    "是否进城务工人员随迁子女": w.YesNoWidget(default=False),
}


def cleaning_plan(resource, present):
    """(attribute, column name, widget) for the resource's fields whose column is in the file."""
    return [(f.attribute, f.column_name, f.widget) for f in resource.get_import_fields() if f.column_name in present]
