from django import forms
from django.utils import timezone

from kongchuo.forms import Form
from notices import receipts
from notices.models import NoticeKind, NoticeService
from notices.texts import placeholder_help


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None, format="%Y-%m-%d"):  # noqa: A002 - Django's argument name
        super().__init__(attrs=attrs, format=format)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def format_value(self, value):
        if hasattr(value, "strftime"):
            return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M") if timezone.is_aware(value) \
                else value.strftime("%Y-%m-%dT%H:%M")
        return value


class GuardianChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name}（{obj.relation}）"


class NoticeIssueForm(Form):
    kind = forms.ChoiceField(label="通知书种类", choices=NoticeKind.choices, widget=forms.RadioSelect,
                             help_text="多次劝返仍不返校：劝返复学通知书；开学未返校：辍学学生劝返通知书。")
    guardian = GuardianChoiceField(label="受送达人（法定监护人）", queryset=None, empty_label=None)
    dropout_date = forms.DateField(label="辍学（未到校）日期", widget=DateInput)
    red_header = forms.BooleanField(label="使用红头（学校名称红色大字及红线）", required=False, initial=True)

    def __init__(self, *args, guardians, case, **kwargs):
        super().__init__(*args, **kwargs)
        from students.models import FamilyMember

        self.fields["guardian"].queryset = FamilyMember.objects.filter(pk__in=[g.pk for g in guardians])
        if guardians:
            self.fields["guardian"].initial = guardians[0].pk
        self.fields["dropout_date"].initial = case.dropout_date
        self.fields["kind"].initial = NoticeKind.RETURN


class NoticeServiceForm(Form):
    served_at = forms.DateTimeField(label="送达时间", widget=DateTimeInput, input_formats=["%Y-%m-%dT%H:%M",
                                                                                      "%Y-%m-%d %H:%M"])
    method = forms.ChoiceField(label="送达方式", choices=NoticeService.Method.choices, widget=forms.RadioSelect)
    recipient_name = forms.CharField(label="受送达人（签收人）", max_length=50)
    recipient_relation = forms.CharField(label="与学生关系", max_length=20, required=False)
    place = forms.CharField(label="送达地点", max_length=200)
    deliverers = forms.CharField(label="送达人", max_length=100, help_text="两人以上送达的，用顿号分隔")
    witness = forms.CharField(label="见证人", max_length=100, required=False, help_text="留置送达时必填")
    receipt_scan = forms.FileField(label="签收后的送达回证（照片或扫描件）", required=False, allow_empty_file=True,
                                   help_text="JPG、PNG 或 PDF，不超过 10 MB",
                                   widget=forms.ClearableFileInput(attrs={"accept": ".jpg,.jpeg,.png,.pdf"}))
    note = forms.CharField(label="备注", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_receipt_scan(self):
        upload = self.cleaned_data.get("receipt_scan")
        if upload:
            receipts.validate_for_form(upload)
        return upload


class NoticeCancelForm(Form):
    reason = forms.CharField(label="作废原因", max_length=200, widget=forms.Textarea(attrs={"rows": 2}))


class NoticeTemplateForm(Form):
    title = forms.CharField(label="标题", max_length=40)
    body = forms.CharField(label="正文", max_length=10000, widget=forms.Textarea(attrs={"rows": 14}),
                           help_text="每段一行。可用占位符：" + "、".join(f"{k} {v}" for k, v in placeholder_help()))
    receipt_note = forms.CharField(label="送达回证备注", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    change_note = forms.CharField(label="修订说明", max_length=200, required=False)
