from django import forms
from django.utils import timezone

from kongchuo import access
from kongchuo.forms import Form
from kongchuo.models import School

from . import rosters


def _months(count=24):
    today = timezone.localdate()
    y, m = today.year, today.month
    out = []
    for _ in range(count):
        out.append((f"{y}-{m:02d}", f"{y}年{m}月"))
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return out


class RosterExportForm(Form):
    kind = forms.ChoiceField(label="名册类型", choices=[(k, v.label) for k, v in rosters.KINDS.items()])
    month = forms.ChoiceField(label="月份（按该月月末状态）")
    school = forms.ModelChoiceField(label="学校", queryset=School.objects.none(), required=False,
                                    empty_label="全部学校（汇总表 + 每校一页）")
    unmask = forms.BooleanField(label="导出完整身份证号和电话（不脱敏）", required=False)
    purpose = forms.CharField(label="导出用途", max_length=200, error_messages={"required": "请填写导出用途。"},
                              help_text="例如：报送教育办月报。不脱敏导出时必须填写；每次导出都记入访问日志。")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["month"].choices = _months()
        schools = access.visible(School, user).order_by("code")
        self.fields["school"].queryset = schools
        if schools.count() == 1:
            self.fields["school"].empty_label = None
        if not rosters.may_unmask(user):
            del self.fields["unmask"]

    def clean_purpose(self):
        value = self.cleaned_data["purpose"]  # cleaned of control characters by the form base (kongchuo.text)
        if not value:
            raise forms.ValidationError("请填写导出用途。")
        return value

    def clean_month(self):
        try:
            return rosters.parse_month(self.cleaned_data["month"])
        except rosters.ExportError as exc:
            raise forms.ValidationError(str(exc))
