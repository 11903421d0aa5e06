"""Every form of the project follows the one base (kongchuo/forms.py): sanitised text, a maximum length on every
text field, and every error message naming its field in Chinese. The forms are found by walking the subclasses
of Django's BaseForm, so a form added later is checked too."""
import re

import pytest
from django import forms

from kongchuo.forms import ChineseFormMixin, prepare_field
from tests.hostile import strings as hostile
from tests.hostile.forms import build, project_form_classes

CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z]{4,}")
PLACEHOLDER = re.compile(r"%\(\w+\)[sdr]|%[sd]")


def _label(form, name):
    field = form.fields[name]
    from kongchuo.forms import field_label

    return field_label(name, field)


def test_project_form_classes_are_all_found():
    names = {cls.__name__ for cls in project_form_classes()}
    # a sample from each app, so the discovery cannot silently find nothing
    assert {"StudentForm", "VisitForm", "NoticeServiceForm", "AbsenceEntryForm", "ExcelUploadForm", "LoginForm",
            "PasswordChangeForm", "StudentSearchForm"} <= names
    assert len(names) >= 45


@pytest.mark.parametrize("form_class", project_form_classes(), ids=lambda c: c.__name__)
def test_form_uses_the_project_base(form_class, db):
    if form_class.__name__ == "LoginForm":  # Django's AuthenticationForm: prepared field by field after labels
        form = build(form_class)
        assert all(f.max_length for f in form.fields.values())
        return
    assert issubclass(form_class, ChineseFormMixin), f"{form_class.__name__} does not use kongchuo.forms.Form"


@pytest.mark.parametrize("form_class", project_form_classes(), ids=lambda c: c.__name__)
def test_form_fields_have_max_length_and_messages_naming_the_field(form_class, db):
    form = build(form_class)
    assert form.fields, form_class
    for name, field in form.fields.items():
        label = _label(form, name)
        assert CJK.search(label), f"{form_class.__name__}.{name}: label {label!r} is not Chinese"
        if isinstance(field, forms.CharField):
            assert field.max_length, f"{form_class.__name__}.{name} has no max_length"
            assert label in str(field.error_messages["max_length"])
        assert label in str(field.error_messages["required"]), f"{form_class.__name__}.{name}"
        assert str(field.error_messages["required"]) != "这个字段是必填项。"
        for key, message in field.error_messages.items():
            assert label in str(message), f"{form_class.__name__}.{name}: {key} message {message!r} does not name it"
            text = PLACEHOLDER.sub("", str(message).replace(label, ""))
            assert not LATIN_WORD.search(text), f"English in {message!r}"


def test_free_text_gets_the_long_limit_and_one_line_the_short_one():
    class Sample(forms.Form):
        note = forms.CharField(label="情况说明", widget=forms.Textarea)
        place = forms.CharField(label="去向")

    form = Sample()
    for name, field in form.fields.items():
        prepare_field(name, field)
    assert form.fields["note"].max_length == 2000
    assert form.fields["note"].error_messages["max_length"] == "情况说明最多 2000 个字。"
    assert form.fields["place"].max_length == 200
    assert form.fields["note"].widget.attrs["maxlength"] == "2000"




@pytest.mark.parametrize("form_class", project_form_classes(), ids=lambda c: c.__name__)
def test_every_field_of_every_form_survives_the_hostile_corpus(form_class, world):
    """Each field gets each hostile string: it is either accepted clean (no control/bidi/zero-width character, at
    most max_length long) or refused with a Chinese message that names the field. Never another exception."""
    tried = 0
    for name, field in build(form_class).fields.items():
        if isinstance(field, forms.FileField):
            continue
        for value in hostile.VALUES:
            form = build(form_class, data={name: value})
            form.is_valid()
            label = _label(form, name)
            if name in form.errors:
                for message in form.errors[name]:
                    assert label in message and CJK.search(message), (form_class.__name__, name, message)
                    assert "不允许是用空字符串" not in message
            elif name in form.cleaned_data and isinstance(form.cleaned_data[name], str):
                cleaned = form.cleaned_data[name]
                if not isinstance(field.widget, forms.PasswordInput):
                    assert not hostile.forbidden_in(cleaned), (form_class.__name__, name, repr(cleaned[:40]))
                assert len(cleaned) <= (field.max_length or 10**9)
            tried += 1
    assert tried >= len(hostile.VALUES)


def test_name_with_right_to_left_override_is_cleaned_in_the_student_form(world):
    from students.forms import StudentForm

    form = build(StudentForm, data={"name": hostile.RLO_NAME, "former_name": "\u202e小\u200b红", "id_type": "1",
                                    "ethnicity": "汉族", "school_class": world.class_a31.pk,
                                    "id_number": hostile.FULLWIDTH_ID})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["name"] == "张三"
    assert form.cleaned_data["former_name"] == "小红"
    assert form.cleaned_data["id_number"] == "411503201609010013"  # full-width digits become ASCII


def test_only_invisible_characters_count_as_empty_and_get_the_named_required_message(world):
    from cases.forms import NoteForm

    form = build(NoteForm, data={"text": hostile.ONLY_INVISIBLE})
    assert not form.is_valid()
    assert form.errors["text"] == ["请填写记录。"]


def test_free_text_keeps_line_breaks_and_chinese_punctuation(db):
    from cases.forms import NoteForm

    form = build(NoteForm, data={"text": "家长表示：孩子，下周一返校。\r\n\x1b[31m已核实！"})
    assert form.is_valid()
    assert form.cleaned_data["text"] == "家长表示：孩子，下周一返校。\n[31m已核实！"


def test_too_long_free_text_names_the_field_and_the_limit(db):
    from cases.forms import CaseOpenForm

    form = build(CaseOpenForm, data={"trigger": "absence", "note": hostile.LONG})
    assert not form.is_valid()
    assert form.errors["note"] == ["情况说明最多 2000 个字。"]
