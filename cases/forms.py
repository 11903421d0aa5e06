"""Forms of the cases app (crispy-bootstrap5). Forms parse input; services decide."""
from django import forms
from django.utils import timezone

from cases.models import AssistanceRecord, Case, Exemption, HomeVisit, TeachingPlan
from kongchuo.forms import Form, IdempotencyKeyField

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _today():
    return timezone.localdate()


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_empty_file", True)  # kongchuo.uploads names the empty file
        super().__init__(*args, **kwargs)
        self.widget.attrs.update({"accept": "image/jpeg,image/png,image/webp,image/heic,image/heif,.heic,.heif", "multiple": True})

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.display_name


class UserMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.display_name


class CaseOpenForm(Form):
    trigger = forms.ChoiceField(label="发现途径", choices=Case.Trigger.choices)
    reasons = forms.MultipleChoiceField(label="辍学（风险）原因", choices=Case.Reason.choices, required=False,
                                        widget=forms.CheckboxSelectMultiple, help_text="可多选")
    whereabouts = forms.CharField(label="去向", max_length=200, required=False,
                                  help_text="例如：随父母在浙江杭州务工地、在家")
    dropout_date = forms.DateField(label="辍学时间", required=False, widget=DATE)
    note = forms.CharField(label="情况说明", widget=forms.Textarea(attrs={"rows": 3}), required=False)


class CaseEditForm(Form):
    reasons = forms.MultipleChoiceField(label="辍学（风险）原因", choices=Case.Reason.choices, required=False,
                                        widget=forms.CheckboxSelectMultiple)
    whereabouts = forms.CharField(label="去向", max_length=200, required=False)
    dropout_date = forms.DateField(label="辍学时间", required=False, widget=DATE)
    note = forms.CharField(label="情况说明", widget=forms.Textarea(attrs={"rows": 3}), required=False)


class TransitionForm(Form):
    to_status = forms.ChoiceField(label="变更为")
    reason = forms.CharField(label="原因", widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, moves=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_status"].choices = [(m.target, f"{m.label}（→ {Case.Status(m.target).label}）")
                                            for m in moves]


class EscalateForm(Form):
    reason = forms.CharField(label="上报原因", widget=forms.Textarea(attrs={"rows": 3}),
                             help_text="已采取的措施、为什么需要上一层级介入")
    to_user = UserChoiceField(label="接收人", queryset=None, required=False, empty_label="（默认负责人）")

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        from kongchuo.models import User

        self.fields["to_user"].queryset = User.objects.filter(pk__in=[u.pk for u in candidates])


class ReturnDownForm(Form):
    instructions = forms.CharField(label="退回说明（需要下一层级做什么）", widget=forms.Textarea(attrs={"rows": 4}))


class ReturnForm(Form):
    return_date = forms.DateField(label="复学日期", widget=DATE, initial=_today)
    placement = forms.ChoiceField(label="安置方式", choices=Case.Placement.choices, widget=forms.RadioSelect)
    note = forms.CharField(label="说明", widget=forms.Textarea(attrs={"rows": 2}), required=False)


class RetentionForm(Form):
    mentor = UserChoiceField(label="结对帮扶教师", queryset=None)
    until = forms.DateField(label="跟踪截止日期", widget=DATE, required=False,
                            help_text="不少于一个学期；留空则按校历自动确定")
    visit_every_days = forms.IntegerField(label="跟踪家访间隔（天）", min_value=7, max_value=62, initial=30)
    counselling_every_days = forms.IntegerField(label="谈心辅导间隔（天）", min_value=7, max_value=62, initial=14)

    def __init__(self, *args, colleagues=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mentor"].queryset = colleagues


class FollowUpForm(Form):
    done_on = forms.DateField(label="完成日期", widget=DATE, initial=_today)
    note = forms.CharField(label="跟踪帮扶记录", widget=forms.Textarea(attrs={"rows": 3}))


class ClosureRequestForm(Form):
    attended_days = forms.IntegerField(label="复学以来实际到校天数", min_value=0)
    evidence_note = forms.CharField(label="销号依据", widget=forms.Textarea(attrs={"rows": 3}),
                                    help_text="学籍恢复情况、复学后出勤与在校表现、帮扶措施落实情况")
    evidence_file = forms.FileField(label="证明材料（可选）", required=False, allow_empty_file=True,
                                    help_text="PDF 或照片，不超过 10 MB")  # checked by kongchuo.uploads


class ClosureReviewForm(Form):
    decision = forms.ChoiceField(label="审核意见", choices=[("approve", "同意销号"), ("reject", "退回补充")],
                                 widget=forms.RadioSelect)
    comment = forms.CharField(label="意见说明", widget=forms.Textarea(attrs={"rows": 3}), required=False)


class DeleteForm(Form):
    reason = forms.CharField(label="删除原因", widget=forms.Textarea(attrs={"rows": 2}),
                             help_text="仅用于误建、重复立案；删除后个案不再显示，数据保留备查")


class NoteForm(Form):
    text = forms.CharField(label="记录", widget=forms.Textarea(attrs={"rows": 3}))


class VisitForm(Form):
    idempotency_key = IdempotencyKeyField()
    visit_date = forms.DateField(label="家访日期", widget=DATE, initial=_today)
    mode = forms.ChoiceField(label="方式", choices=HomeVisit.Mode.choices, widget=forms.RadioSelect,
                             initial=HomeVisit.Mode.HOME)
    visitors = UserMultipleChoiceField(label="同行教师", queryset=None, required=False,
                                       widget=forms.CheckboxSelectMultiple)
    other_visitors = forms.CharField(label="其他参与人员", max_length=200, required=False,
                                     help_text="村干部、驻村干部等")
    people_met = forms.CharField(label="见到的人", max_length=200, help_text="例如：学生本人、母亲、祖父")
    family_situation = forms.CharField(label="家庭情况", widget=forms.Textarea(attrs={"rows": 3}), required=False)
    findings = forms.CharField(label="了解到的情况", widget=forms.Textarea(attrs={"rows": 4}))
    guardian_attitude = forms.ChoiceField(label="监护人态度", choices=HomeVisit.Attitude.choices,
                                          widget=forms.RadioSelect)
    risk_level = forms.ChoiceField(label="辍学风险评估", choices=[("", "未评估")] + HomeVisit.Risk.choices,
                                   required=False, widget=forms.RadioSelect)
    next_step = forms.CharField(label="约定的下一步", max_length=300, required=False)
    next_step_date = forms.DateField(label="下一步日期", widget=DATE, required=False)
    photos = PhotosField(label="照片", help_text="最多 6 张，上传后自动压缩")

    def __init__(self, *args, colleagues=None, **kwargs):
        super().__init__(*args, **kwargs)
        from kongchuo.models import User

        self.fields["visitors"].queryset = colleagues if colleagues is not None else User.objects.none()
        if not self.fields["visitors"].queryset.exists():
            del self.fields["visitors"]


class ExemptionForm(Form):
    kind = forms.ChoiceField(label="类型", choices=Exemption.Kind.choices, widget=forms.RadioSelect)
    guardian_name = forms.CharField(label="申请人（法定监护人）", max_length=50)
    reason = forms.CharField(label="申请理由", widget=forms.Textarea(attrs={"rows": 3}))
    application_file = forms.FileField(label="监护人书面申请（扫描件或照片）", allow_empty_file=True)
    assessment_kind = forms.ChoiceField(label="证明类型", choices=Exemption.AssessmentKind.choices)
    assessment_file = forms.FileField(label="医院诊断证明或残疾评定材料", allow_empty_file=True)
    start_date = forms.DateField(label="开始日期", widget=DATE)
    end_date = forms.DateField(label="截止日期", widget=DATE, help_text="缓学最长一年")


class ExemptionDecisionForm(Form):
    decision = forms.ChoiceField(label="意见", choices=[("approve", "同意"), ("reject", "不同意")],
                                 widget=forms.RadioSelect)
    comment = forms.CharField(label="意见说明", widget=forms.Textarea(attrs={"rows": 3}), required=False)


class PlanForm(Form):
    disability = forms.CharField(label="残疾情况", max_length=200, help_text="残疾类别、程度、残疾证号")
    goals = forms.CharField(label="教育目标", widget=forms.Textarea(attrs={"rows": 4}))
    schedule_days = forms.MultipleChoiceField(label="每周送教日", choices=TeachingPlan.WEEKDAYS,
                                              widget=forms.CheckboxSelectMultiple)
    schedule_note = forms.CharField(label="时间地点安排", max_length=200, required=False)
    session_minutes = forms.IntegerField(label="每次时长（分钟）", min_value=30, max_value=480, initial=90)
    teachers = UserMultipleChoiceField(label="送教教师", queryset=None, widget=forms.CheckboxSelectMultiple)
    start_date = forms.DateField(label="开始日期", widget=DATE)
    end_date = forms.DateField(label="结束日期", widget=DATE)

    def __init__(self, *args, colleagues=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["teachers"].queryset = colleagues


class SessionForm(Form):
    idempotency_key = IdempotencyKeyField()
    date = forms.DateField(label="送教日期", widget=DATE, initial=_today)
    duration_minutes = forms.IntegerField(label="时长（分钟）", min_value=10, max_value=480)
    teacher = UserChoiceField(label="送教教师", queryset=None)
    content = forms.CharField(label="送教内容", widget=forms.Textarea(attrs={"rows": 4}))
    photos = PhotosField(label="照片", help_text="最多 6 张，上传后自动压缩")

    def __init__(self, *args, plan=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["teacher"].queryset = plan.teachers.all()
        self.fields["duration_minutes"].initial = plan.session_minutes


class AssistanceForm(Form):
    kind = forms.ChoiceField(label="资助项目", choices=AssistanceRecord.Kind.choices)
    date = forms.DateField(label="发放/落实日期", widget=DATE, initial=_today)
    amount = forms.DecimalField(label="金额（元）", min_value=0, max_digits=10, decimal_places=2, required=False,
                                help_text="实物或服务可不填")
    source = forms.CharField(label="资金/帮扶来源", max_length=200, help_text="例如：中央财政、县教育局、爱心企业")
    note = forms.CharField(label="说明", max_length=300, required=False)


class StudentSearchForm(Form):
    q = forms.CharField(label="学生姓名", max_length=50, required=False)

