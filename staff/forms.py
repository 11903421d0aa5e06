from django import forms

from kongchuo.forms import Form, PasswordChangeForm


class FirstPasswordForm(PasswordChangeForm):
    """First login: the one-time password, then the holder's own (the password rules apply via the validators)."""

    field_labels = {"old_password": "初始（一次性）密码", "new_password1": "新密码", "new_password2": "再次输入新密码"}

    def clean_new_password1(self):
        new = self.cleaned_data.get("new_password1")
        old = self.cleaned_data.get("old_password")
        if new and old and new == old:
            raise forms.ValidationError("新密码不能与初始密码相同。", code="same_password")
        return new


class StaffAddForm(Form):
    real_name = forms.CharField(label="姓名", max_length=50)
    phone = forms.CharField(label="手机号", max_length=20, help_text="用户名默认就是手机号")
    id_number = forms.CharField(label="身份证号（可不填）", max_length=30, required=False)
    post = forms.CharField(label="岗位", max_length=50, required=False)
    roles = forms.MultipleChoiceField(label="授予角色", widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, options=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["roles"].choices = list(options)


class RoleGrantForm(Form):
    role = forms.ChoiceField(label="授予角色")

    def __init__(self, *args, options=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [("", "请选择")] + list(options)


class EndAccountForm(Form):
    reason = forms.CharField(label="停用原因", max_length=200, help_text="例如：调离、退休、辞职")


class StaffUploadForm(Form):
    target = forms.ChoiceField(label="名单范围")
    file = forms.FileField(label="教职工名单（Excel）")

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = list(choices)


class ImportCommitForm(Form):
    valid_only = forms.BooleanField(label="仅导入有效行（跳过有错误的行）", required=False)


class OrgUploadForm(Form):
    kind = forms.ChoiceField(label="名录", choices=[("schools", "学校名录（学校标识码、学校名称、学段、所属办事处、地址、电话）"),
                                                  ("villages", "村（社区）名录（代码、名称、办事处）"),
                                                  ("classes", "当前学年的年级与班级（学校、班级）")])
    area = forms.ChoiceField(label="管理区")
    file = forms.FileField(label="Excel 文件")

    def __init__(self, *args, areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = [(str(a.pk), a.name) for a in areas]
