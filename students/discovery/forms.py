"""Forms for discovery pages (input parsing only; rules live in the services)."""
from django import forms

from kongchuo.forms import Form

from students.models.discovery import Absence, NonReturnEntry

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DateField(forms.DateField):
    default_error_messages = {"invalid": "请输入有效的日期，例如 2026-09-01。"}

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", DATE_INPUT)
        kwargs.setdefault("input_formats", ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"])
        super().__init__(*args, **kwargs)


class RollCallDateForm(Form):
    date = DateField(label="点名日期", error_messages={"required": "请选择点名日期。"})


class AbsenceEntryForm(Form):
    start = DateField(label="开始日期", error_messages={"required": "请填写开始日期。"})
    end = DateField(label="结束日期", required=False, help_text="只缺一天可不填")
    reason = forms.ChoiceField(label="缺勤原因", choices=Absence.Reason.choices, widget=forms.RadioSelect,
                               error_messages={"required": "请选择缺勤原因。",
                                               "invalid_choice": "请选择缺勤原因：病假、事假或无故。"})
    note = forms.CharField(label="备注", required=False, max_length=200,
                           error_messages={"max_length": "备注不能超过 200 字。"})


class NonReturnForm(Form):
    whereabouts = forms.ChoiceField(label="去向", choices=NonReturnEntry.Whereabouts.choices, required=False,
                                    error_messages={"invalid_choice": "请从列表中选择去向。"})
    whereabouts_detail = forms.CharField(label="去向说明", required=False, max_length=200,
                                         help_text="地点、联系人、核实方式等",
                                         error_messages={"max_length": "去向说明不能超过 200 字。"})
    note = forms.CharField(label="备注", required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
                           error_messages={"max_length": "备注不能超过 2000 字。"})


class ReturnedForm(Form):
    returned_on = DateField(label="返校日期", error_messages={"required": "请填写返校日期。"})


class TermCheckForm(Form):
    term = forms.ModelChoiceField(label="学期", queryset=None, empty_label=None,
                                  error_messages={"invalid_choice": "请选择有效的学期。",
                                                  "required": "请选择学期。"})

    def __init__(self, *args, terms, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["term"].queryset = terms
