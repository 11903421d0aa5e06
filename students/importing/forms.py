from django import forms

from kongchuo.forms import Form, prepare_field

from students.models import ImportBatch, PopulationEntry

from .population_services import verify_choices


class ExcelUploadForm(Form):
    file = forms.FileField(label="Excel 文件", help_text="学籍系统导出的 .xlsx 或 .xls，最大 20 MB", allow_empty_file=True,
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls"}))

    def __init__(self, *args, choices=None, choice_label="", choice_name="target", required_choice=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.choice_name = choice_name
        if choices is not None and len(choices) > 1:
            self.fields[choice_name] = forms.TypedChoiceField(
                label=choice_label, coerce=int, required=required_choice,
                choices=([] if required_choice else [("", "（按名单中的“村/社区”列）")]) + list(choices))
            self.order_fields([choice_name, "file"])
            prepare_field(choice_name, self.fields[choice_name])

    def clean_file(self):
        """Type and size through the one upload layer (the service checks again; the reader checks the workbook)."""
        from django.core.exceptions import ValidationError

        from kongchuo import uploads

        upload = self.cleaned_data.get("file")
        try:
            uploads.verify(upload, purpose="spreadsheet", label="Excel 文件")
        except uploads.UploadRefused as exc:
            raise ValidationError(exc.message) from None
        return upload


class CommitForm(Form):
    mode = forms.ChoiceField(label="导入方式", choices=ImportBatch.Mode.choices,
                             widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                             initial=ImportBatch.Mode.ALL)


class VerifyForm(Form):
    decision = forms.ChoiceField(label="核实结果", choices=verify_choices(), widget=forms.RadioSelect)
    note = forms.CharField(label="核实说明 / 证明材料", max_length=300, required=False,
                           widget=forms.Textarea(attrs={"rows": 3}),
                           help_text="已在外地就读须写明学校和证明（如学籍证明、在校证明）")


ENTRY_STATUS_CHOICES = [("", "全部状态")] + list(PopulationEntry.Status.choices)
