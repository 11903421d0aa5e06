"""Forms of the registry pages. They parse input; the rules (ID checks, transitions, proof) live in services, and
views map a service's ValidationError back onto these fields (`attach_errors`)."""
from django import forms
from django.core.exceptions import ValidationError

from kongchuo.forms import Form, field_label
from kongchuo.models import School, SchoolClass, Village
from students.models import FamilyMember, StatusChange, Student, VulnerabilityFlag
from students.uploads import check_proof_files

ETHNICITIES = (
    "汉族 蒙古族 回族 藏族 维吾尔族 苗族 彝族 壮族 布依族 朝鲜族 满族 侗族 瑶族 白族 土家族 哈尼族 哈萨克族 傣族 黎族 傈僳族 "
    "佤族 畲族 高山族 拉祜族 水族 东乡族 纳西族 景颇族 柯尔克孜族 土族 达斡尔族 仫佬族 羌族 布朗族 撒拉族 毛南族 仡佬族 "
    "锡伯族 阿昌族 普米族 塔吉克族 怒族 乌孜别克族 俄罗斯族 鄂温克族 德昂族 保安族 裕固族 京族 塔塔尔族 独龙族 鄂伦春族 "
    "赫哲族 门巴族 珞巴族 基诺族 其他 外国血统中国籍人士"
).split()
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
CONFIRM_LABEL = "已核对，按填写内容保存"


def mask_student_number(value):
    """学籍号 G/J + 18 characters embed an ID-like number: mask it like one (G411503********0012)."""
    from kongchuo.audit import mask_id

    if value and len(value) == 19 and value[0] in "GJ":
        return value[0] + mask_id(value[1:])
    return value or ""


def _masks():
    from kongchuo.audit import mask_id, mask_phone

    return {"id_number": mask_id, "student_number": mask_student_number, "phone": mask_phone}


def mask_initial(initial):
    """Edit forms show ID / phone numbers masked (showing them full is an unmasking, which is logged elsewhere).
    Returns the originals; `restore_masked` puts them back when the user left the masked text untouched."""
    masks, originals = _masks(), {}
    for name, fn in masks.items():
        if initial.get(name):
            originals[name] = initial[name]
            initial[name] = fn(initial[name])
    return originals


def restore_masked(cleaned, originals):
    masks = _masks()
    for name, original in originals.items():
        if (cleaned.get(name) or "").strip() == masks[name](original):
            cleaned[name] = original
    return cleaned


# Chinese names of service fields that a page may not show as a form field (errors then go on top, named).
FIELD_LABELS = {"students": "学生", "teacher": "包保教师", "school_class": "班级", "kind": "类别", "documents": "证明材料",
                "id_number": "身份证件号", "student_number": "学籍号", "gender": "性别", "birth_date": "出生日期",
                "name": "姓名", "leader": "包校领导", "date": "日期", "reason": "原因"}


class ChineseForm(Form):
    """The registry's forms: the project's one form base (`kongchuo.forms.Form`: sanitised text, lengths, errors
    naming their field in Chinese), with the registry's wording for a choice that is not on the list."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if isinstance(field, (forms.ChoiceField, forms.ModelChoiceField)):
                label = field_label(name, field)
                field.error_messages["invalid_choice"] = f"{label}：所选项不在可选范围内，请刷新页面后重新选择。"


def attach_errors(form, exc):
    """Put a service's ValidationError on the form: known fields get their message, the rest go on top, named."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            target = name if name in form.fields else None
            for message in errors:
                if target is None and name != "__all__":
                    label = FIELD_LABELS.get(name, "")
                    message = f"{label}：{message}" if label and not message.startswith(label) else message
                form.add_error(target, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class ProofFilesField(forms.FileField):
    """Several 证明材料 files (PDF/JPG/PNG ≤ 10 MB each), validated by type, size and content."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/*"}))
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_empty_file", True)  # kongchuo.uploads names the empty file
        kwargs.setdefault("label", "证明材料")
        kwargs.setdefault("help_text", "PDF、JPG、PNG，每个不超过 10 MB，可多选")
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        files = [single(d, initial) for d in data] if isinstance(data, (list, tuple)) else ([single(data, initial)] if data else [])
        files = [f for f in files if f]
        if self.required and not files:
            raise ValidationError("请上传证明材料。")
        check_proof_files(files, label=str(self.label), reencode=False)  # the service verifies again and re-encodes
        return files


class StudentForm(ChineseForm):
    name = forms.CharField(label="姓名", max_length=50)
    former_name = forms.CharField(label="曾用名", max_length=50, required=False)
    id_type = forms.ChoiceField(label="身份证件类型", choices=Student.IdType.choices, initial=Student.IdType.RESIDENT)
    id_number = forms.CharField(label="身份证件号", max_length=30, required=False,
                                help_text="居民身份证 18 位，末位 X 大小写均可；填写后可自动带出性别和出生日期")
    gender = forms.ChoiceField(label="性别", choices=[("", "按身份证号")] + list(Student.Gender.choices), required=False)
    birth_date = forms.DateField(label="出生日期", required=False, widget=DATE_WIDGET)
    ethnicity = forms.ChoiceField(label="民族", choices=[(e, e) for e in ETHNICITIES], initial="汉族")
    student_number = forms.CharField(label="学籍号", max_length=30, required=False,
                                     help_text="G+身份证号、J+18 位数字，或 L 开头的临时学籍号")
    school_class = forms.ModelChoiceField(label="班级", queryset=SchoolClass.objects.none())
    hukou_address = forms.CharField(label="户籍地", max_length=200, required=False)
    village = forms.ModelChoiceField(label="现住村/社区", queryset=Village.objects.none(), required=False)
    address = forms.CharField(label="现住址", max_length=200, required=False)
    phone = forms.CharField(label="家庭联系电话", max_length=30, required=False)
    confirm_mismatch = forms.BooleanField(label=CONFIRM_LABEL, required=False, widget=forms.HiddenInput)
    confirm_reason = forms.CharField(label="核对说明", max_length=90, required=False, widget=forms.HiddenInput,
                                     help_text="年龄与年级不符时必填，如：缓学一年后入学、随班就读、出生日期按户口簿")

    def __init__(self, *args, classes, villages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school_class"].queryset = classes
        self.fields["school_class"].label_from_instance = lambda c: f"{c.grade.school.name} {c}"
        self.fields["village"].queryset = villages

    def needs_confirmation(self, reason=False, reason_missing=False):
        self.fields["confirm_mismatch"].widget = forms.CheckboxInput()
        if reason:
            self.fields["confirm_reason"].widget = forms.TextInput(attrs={"maxlength": "90"})
        if reason_missing:
            self.add_error("confirm_reason", "请填写核对说明：年龄与年级不符的原因。")

    def service_kwargs(self):
        data = dict(self.cleaned_data)
        data.pop("confirm_mismatch", None)
        data.pop("confirm_reason", None)
        return data


class TransferInForm(StudentForm):
    date = forms.DateField(label="转入日期", widget=DATE_WIDGET)
    from_school_name = forms.CharField(label="原学校", max_length=100, required=False,
                                       help_text="本区学校转来的学生会自动关联原学校，这里可填区外学校名称")
    reason = forms.CharField(label="转入原因", max_length=300, widget=forms.Textarea(attrs={"rows": 2}))
    documents = ProofFilesField(label="转学联系函等证明材料")

    field_order = ["id_type", "id_number", "name", "gender", "birth_date", "student_number", "school_class", "date",
                   "from_school_name", "reason", "documents"]

    def transfer_kwargs(self):
        data = self.service_kwargs()
        return {key: data.pop(key) for key in ("date", "from_school_name", "reason", "documents")}, data


class FamilyMemberForm(ChineseForm):
    name = forms.CharField(label="姓名", max_length=50)
    relation = forms.CharField(label="关系", max_length=20,
                               widget=forms.TextInput(attrs={"list": "relation-options"}),
                               help_text="如 " + "、".join(FamilyMember.RELATIONS[:6]))
    is_guardian = forms.BooleanField(label="是监护人", required=False)
    phone = forms.CharField(label="联系电话", max_length=30, required=False)
    id_type = forms.ChoiceField(label="身份证件类型", choices=Student.IdType.choices, initial=Student.IdType.RESIDENT)
    id_number = forms.CharField(label="身份证件号", max_length=30, required=False,
                                help_text="15 位旧号码会自动转换为 18 位")
    works_away = forms.BooleanField(label="外出务工", required=False)
    works_away_place = forms.CharField(label="务工地", max_length=100, required=False)
    is_disabled = forms.BooleanField(label="残疾", required=False)
    address = forms.CharField(label="现住址", max_length=200, required=False)
    employer = forms.CharField(label="工作单位", max_length=100, required=False)


class FlagForm(ChineseForm):
    kind = forms.ChoiceField(label="类别", choices=[("", "请选择")] + list(VulnerabilityFlag.Kind.choices))
    start_date = forms.DateField(label="开始日期", widget=DATE_WIDGET)
    source = forms.ChoiceField(label="信息来源", choices=[("", "请选择")] + list(VulnerabilityFlag.Source.choices))
    source_detail = forms.CharField(label="来源说明", max_length=200, required=False,
                                    help_text="如 文件号、摸排表、核实人")
    disability_type = forms.ChoiceField(label="残疾类别（学生残疾时填写）", required=False,
                                        choices=[("", "—")] + list(VulnerabilityFlag.DisabilityType.choices))
    disability_certificate = forms.CharField(label="残疾证号（学生残疾时填写）", max_length=30, required=False)
    note = forms.CharField(label="备注", max_length=200, required=False)


class FlagEndForm(ChineseForm):
    end_date = forms.DateField(label="结束日期", widget=DATE_WIDGET)
    reason = forms.CharField(label="解除原因", max_length=200)


class StatusChangeForm(ChineseForm):
    kind = forms.ChoiceField(label="异动类别")
    date = forms.DateField(label="异动日期", widget=DATE_WIDGET)
    reason = forms.CharField(label="原因", max_length=300, widget=forms.Textarea(attrs={"rows": 2}))
    to_school = forms.ModelChoiceField(label="转往学校（本区）", queryset=School.objects.none(), required=False,
                                       help_text="区外学校请填下一栏。去向未定也可先登记，状态为“转出待确认”")
    other_school_name = forms.CharField(label="转往学校（区外）", max_length=100, required=False)
    expected_return_date = forms.DateField(label="预计复学日期（休学必填）", required=False, widget=DATE_WIDGET)
    to_class = forms.ModelChoiceField(label="复学/跳级后的班级", queryset=SchoolClass.objects.none(), required=False)
    documents = ProofFilesField(help_text="休学须上传医院证明等；死亡、跳级须上传证明。PDF、JPG、PNG，每个不超过 10 MB")

    def __init__(self, *args, kinds, schools, classes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", "请选择")] + [(k, StatusChange.Kind(k).label) for k in kinds]
        self.fields["to_school"].queryset = schools
        self.fields["to_class"].queryset = classes


class TransferConfirmForm(ChineseForm):
    receiving_school = forms.ModelChoiceField(label="接收学校（本区）", queryset=School.objects.none(), required=False)
    receiving_school_name = forms.CharField(label="接收学校名称", max_length=100, required=False,
                                            help_text="区外学校填写全称；选择了本区学校可不填")
    received_date = forms.DateField(label="接收日期", widget=DATE_WIDGET)
    note = forms.CharField(label="说明", max_length=200, required=False)
    documents = ProofFilesField(label="接收证明（回执）")

    def __init__(self, *args, schools, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["receiving_school"].queryset = schools


class TeacherChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.display_name


class CareAssignForm(ChineseForm):
    teacher = TeacherChoiceField(label="包保教师", queryset=None, empty_label="请选择")

    def __init__(self, *args, teachers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["teacher"].queryset = teachers


class CareBulkForm(CareAssignForm):
    students = forms.TypedMultipleChoiceField(label="学生", coerce=int, choices=())

    def __init__(self, *args, student_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["students"].choices = student_choices
        self.fields["students"].error_messages.update(required="请至少选择一名学生。",
                                                      invalid_choice="所选学生不在列表中，请刷新页面。")
        self.fields["teacher"].widget.attrs["class"] = "form-select"


class LiaisonForm(ChineseForm):
    leader = TeacherChoiceField(label="教育办包校领导", queryset=None, empty_label="请选择")

    def __init__(self, *args, leaders, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["leader"].queryset = leaders


class TierForm(ChineseForm):
    """班主任包班 / 校领导包年级 on the school's 包保 page."""

    target = forms.ChoiceField(label="班级或年级")
    user = TeacherChoiceField(label="教师", queryset=None, empty_label="请选择")

    def __init__(self, *args, grades, teachers, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "请选择")]
        for grade in grades:
            choices.append((f"grade:{grade.pk}", f"{grade.get_level_display()}（校领导包年级）"))
            choices += [(f"class:{c.pk}", f"{grade.get_level_display()}{c.name}（班主任）") for c in grade.classes.all()]
        self.fields["target"].choices = choices
        self.fields["user"].queryset = teachers

    def target_kwargs(self):
        kind, _, pk = self.cleaned_data["target"].partition(":")
        return {"school_class_id" if kind == "class" else "grade_id": int(pk)}


UNMASK_PURPOSES = ("家访联系", "劝返复学", "学籍核对", "资助核对", "送达通知书", "其他")


class UnmaskForm(ChineseForm):
    target = forms.CharField(max_length=40)
    purpose = forms.ChoiceField(label="查看完整号码的用途", choices=[("", "请选择用途")] + [(p, p) for p in UNMASK_PURPOSES])
    purpose_detail = forms.CharField(label="说明", max_length=150, required=False)

    def clean(self):
        data = super().clean()
        if data.get("purpose") == "其他" and not (data.get("purpose_detail") or "").strip():
            self.add_error("purpose_detail", "选择“其他”时请说明用途。")
        return data

    @property
    def purpose_text(self):
        detail = (self.cleaned_data.get("purpose_detail") or "").strip()
        return self.cleaned_data["purpose"] + (f"：{detail}" if detail else "")
