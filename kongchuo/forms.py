"""The one form base of the project: every form (students, cases, notices, imports, accounts) inherits
`ChineseFormMixin` through `kongchuo.forms.Form`, or mixes it into a Django form (login, password change).

For every field it:
- cleans text through `kongchuo.text.clean` (controls, bidi and zero-width characters removed, NFKC for names and
  numbers, NFC for free text, trimmed) before Django's own checks run, so the length checks see the stored value;
- gives every CharField a maximum length (`TEXT_MAX_LENGTH` for a Textarea, `LINE_MAX_LENGTH` otherwise) unless
  it has one, and a message naming the field (“情况说明最多 2000 个字。”);
- makes every error message name the field in Chinese: “请填写姓名。” / “请选择班级。” instead of Django's
  “这个字段是必填项。”, and any other built-in message prefixed with the label (“跟踪家访间隔（天）：…”).
A field can say which text kind it is with `field.text_kind = kongchuo.text.NAME` (default: from its name)."""
import uuid

from django import forms
from django.contrib.auth import forms as auth_forms
from django.core.exceptions import ValidationError
from django.contrib.auth.forms import AuthenticationForm

from kongchuo import text

TEXT_MAX_LENGTH = 2000
LINE_MAX_LENGTH = 200
PASSWORD_MAX_LENGTH = 128
IDEMPOTENCY_MESSAGE = ("提交编号无效（页面可能已过期或不完整），这次没有保存。已填写的内容保留在下面，"
                       "请核对后再提交一次。")

# Fields that have no visible label (hidden inputs) still get a Chinese name in their messages.
HIDDEN_LABELS = {"idempotency_key": "提交编号", "target": "查看对象", "confirm_mismatch": "核对确认",
                 "confirm_age": "年龄核对确认", "expected": "页面状态"}


def field_label(name, field):
    return str(field.label or HIDDEN_LABELS.get(name) or name)


def _is_password(field):
    return isinstance(field.widget, forms.PasswordInput)


def _sanitising(field, kind):
    original = field.to_python

    def to_python(value):
        if isinstance(value, str):
            value = text.clean(value, kind)
        return original(value)

    return to_python


class ChineseFormMixin:
    """See the module docstring. Mix in before the Django form class. Fields a form adds after `__init__` are
    prepared when the form is cleaned."""

    field_labels = {}  # {name: label} for fields a parent class declares, applied before the messages are named
    text_kinds = {}  # {name: kongchuo.text kind} where the field's name alone would choose the wrong one

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in self.field_labels.items():
            if name in self.fields:
                self.fields[name].label = label
        for name, kind in self.text_kinds.items():
            if name in self.fields:
                self.fields[name].text_kind = kind
        for name, field in self.fields.items():
            prepare_field(name, field)

    def full_clean(self):
        for name, field in self.fields.items():
            if not getattr(field, "_kc_prepared", False):
                prepare_field(name, field)
        super().full_clean()


def _named_errors(field, label):
    """Wrap field.clean so every message it raises (validators included) names the field."""
    original = field.clean

    def clean(*args):
        try:
            return original(*args)
        except ValidationError as exc:
            named = []
            for error in exc.error_list:
                message = str(error.message % error.params if error.params else error.message)
                if error.code == "null_characters_not_allowed":
                    message = f"{label}不能包含空字符等控制字符，请删除后重新填写。"
                elif label not in message:
                    message = f"{label}：{message}"
                named.append(ValidationError(message, code=error.code))
            raise ValidationError(named) from None

    return clean


def prepare_field(name, field):
    if getattr(field, "_kc_prepared", False):
        return
    field._kc_prepared = True
    label = field_label(name, field)
    field.clean = _named_errors(field, label)
    messages = field.error_messages
    choose = isinstance(field, (forms.ChoiceField, forms.ModelChoiceField, forms.ModelMultipleChoiceField,
                                forms.MultipleChoiceField, forms.BooleanField))
    if isinstance(field, forms.FileField):
        choose = False
        wanted = {"required": f"请上传{label}。", "empty": f"{label}：上传的文件是空的。",
                  "invalid": f"{label}：没有收到文件，请重新选择。"}
    else:
        wanted = {"required": f"请{'选择' if choose else '填写'}{label}。"}
    if isinstance(field, (forms.DateField, forms.DateTimeField)):
        wanted["invalid"] = f"{label}格式不正确，请按 2026-09-01 的格式填写。"
    if isinstance(field, forms.IntegerField) and not isinstance(field, forms.DecimalField):
        wanted["invalid"] = f"{label}请填写整数。"
    if isinstance(field, (forms.DecimalField, forms.FloatField)):
        wanted["invalid"] = f"{label}请填写数字。"
    if isinstance(field, (forms.IntegerField, forms.DecimalField, forms.FloatField)):
        wanted["min_value"] = f"{label}不能小于 %(limit_value)s。"
        wanted["max_value"] = f"{label}不能大于 %(limit_value)s。"
    if isinstance(field, forms.DecimalField):
        wanted["max_digits"] = f"{label}最多 %(max)s 位数字。"
        wanted["max_decimal_places"] = f"{label}最多 %(max)s 位小数。"
        wanted["max_whole_digits"] = f"{label}整数部分最多 %(max)s 位。"
    if isinstance(field, forms.UUIDField):
        wanted["invalid"] = f"{label}无效：页面可能已过期，请刷新页面后重新提交。"
    if isinstance(field, forms.UUIDField):
        field.to_python = _sanitising(field, text.CODE)
        field.max_length = field.max_length or 36  # the value becomes a UUID: no length validator on it
        wanted["max_length"] = f"{label}最多 {field.max_length} 个字。"
    elif isinstance(field, forms.CharField):
        if _is_password(field):
            field.max_length = field.max_length or PASSWORD_MAX_LENGTH
        else:
            multiline = isinstance(field.widget, forms.Textarea)
            kind = getattr(field, "text_kind", None) or text.kind_for_field(name, multiline)
            field.to_python = _sanitising(field, kind)
            if field.max_length is None:
                field.max_length = TEXT_MAX_LENGTH if multiline else LINE_MAX_LENGTH
        _limit_length(field)
        wanted["max_length"] = f"{label}最多 {field.max_length} 个字。"
        wanted["min_length"] = f"{label}至少 {field.min_length} 个字。" if field.min_length else ""
    defaults = _django_defaults(field)
    for key, message in wanted.items():
        current = messages.get(key)
        # a message the form's author wrote is kept (and named below); Django's generic one is replaced
        if message and (current is None or str(current) in defaults.get(key, ())):
            messages[key] = message
    for key, message in list(messages.items()):
        if label and label not in str(message):
            messages[key] = f"{label}：{message}"


def _django_defaults(field):
    """{key: {Django's default texts}} for the field's class hierarchy (Django's own classes only)."""
    defaults = {}
    for klass in type(field).__mro__:
        if klass.__module__.startswith("django.") and "default_error_messages" in vars(klass):
            for key, message in vars(klass)["default_error_messages"].items():
                defaults.setdefault(key, set()).add(str(message))
    return defaults


def _limit_length(field):
    """A max_length set after the field was built needs its validator and the input's maxlength attribute."""
    from django.core.validators import MaxLengthValidator

    if not any(isinstance(v, MaxLengthValidator) for v in field.validators):
        field.validators.append(MaxLengthValidator(field.max_length))
    if not field.widget.is_hidden:
        field.widget.attrs.setdefault("maxlength", str(field.max_length))


class IdempotencyKeyField(forms.UUIDField):
    """The hidden key that makes a double tap save one record. A missing or malformed key (an old page, a
    tampered form) is said on top of the form, the typed data is kept, and a fresh key is put in so the next
    submission can succeed."""

    widget = forms.HiddenInput
    default_error_messages = {"required": IDEMPOTENCY_MESSAGE, "invalid": IDEMPOTENCY_MESSAGE}

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "提交编号")
        super().__init__(**kwargs)


class Form(ChineseFormMixin, forms.Form):
    """Base of every form of the project. Errors of hidden fields (which no template shows next to an input)
    are repeated on top of the form."""

    def full_clean(self):
        super().full_clean()
        if not self.is_bound:
            return
        for name, field in self.fields.items():
            if not field.widget.is_hidden or name not in self._errors:
                continue
            for message in self._errors[name]:
                if message not in self.non_field_errors():
                    self.add_error(None, message)
            if isinstance(field, IdempotencyKeyField):
                data = self.data.copy()
                data[self.add_prefix(name)] = str(uuid.uuid4())
                self.data = data


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "用户名或密码错误。连续输错 5 次，该账号在本机将被锁定 30 分钟。",
        "inactive": "该账号已停用，请联系系统管理员。",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "用户名"
        self.fields["password"].label = "密码"
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autocapitalize": "none"})
        self.fields["password"].widget = forms.PasswordInput(attrs={"autocomplete": "current-password"})
        for name, field in self.fields.items():
            prepare_field(name, field)


class PasswordChangeForm(ChineseFormMixin, auth_forms.PasswordChangeForm):
    """Django's form with the project's field messages (“请填写旧密码。”); the password validators' messages,
    which Django adds to new_password2, are named too (“新密码确认：密码太短：至少需要 8 个字符。”)."""

    def add_error(self, field, error):
        if field in self.fields and not isinstance(error, dict) and not hasattr(error, "error_dict"):
            label = field_label(field, self.fields[field])
            errors = error.error_list if isinstance(error, ValidationError) else [ValidationError(error)]
            error = ValidationError([
                ValidationError(message if label in message else f"{label}：{message}", code=e.code)
                for e in errors for message in [str(e.message % e.params if e.params else e.message)]])
        super().add_error(field, error)
