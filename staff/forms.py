from django import forms
from django.contrib.auth.forms import PasswordChangeForm


class FirstPasswordForm(PasswordChangeForm):
    """First login: the one-time password, then the holder's own (the password rules apply via the validators)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = "初始（一次性）密码"
        self.fields["new_password1"].label = "新密码"
        self.fields["new_password2"].label = "再次输入新密码"

    def clean_new_password1(self):
        new = self.cleaned_data.get("new_password1")
        old = self.cleaned_data.get("old_password")
        if new and old and new == old:
            raise forms.ValidationError("新密码不能与初始密码相同。", code="same_password")
        return new


class StaffAddForm(forms.Form):
    real_name = forms.CharField(label="姓名", max_length=50)
    phone = forms.CharField(label="手机号", max_length=20, help_text="用户名默认就是手机号")
    id_number = forms.CharField(label="身份证号（可不填）", max_length=30, required=False)
    post = forms.CharField(label="岗位", max_length=50, required=False)
    roles = forms.MultipleChoiceField(label="授予角色", widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, options=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["roles"].choices = list(options)


class RoleGrantForm(forms.Form):
    role = forms.ChoiceField(label="授予角色")

    def __init__(self, *args, options=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [("", "请选择")] + list(options)


class EndAccountForm(forms.Form):
    reason = forms.CharField(label="停用原因", max_length=200, help_text="例如：调离、退休、辞职")


class StaffUploadForm(forms.Form):
    target = forms.ChoiceField(label="名单范围")
    file = forms.FileField(label="教职工名单（Excel）")

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = list(choices)


class ImportCommitForm(forms.Form):
    valid_only = forms.BooleanField(label="仅导入有效行（跳过有错误的行）", required=False)


class OrgUploadForm(forms.Form):
    kind = forms.ChoiceField(label="名录", choices=[("schools", "学校名录（学校标识码、学校名称、学段、所属办事处、地址、电话）"),
                                                  ("villages", "村（社区）名录（代码、名称、办事处）"),
                                                  ("classes", "当前学年的年级与班级（学校、班级）")])
    area = forms.ChoiceField(label="管理区")
    file = forms.FileField(label="Excel 文件")

    def __init__(self, *args, areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = [(str(a.pk), a.name) for a in areas]
