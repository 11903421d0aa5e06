import string

from django.core.exceptions import ValidationError

CLASSES = (
    ("大写字母", lambda c: c in string.ascii_uppercase),
    ("小写字母", lambda c: c in string.ascii_lowercase),
    ("数字", lambda c: c in string.digits),
    ("符号", lambda c: not c.isalnum()),
)


class CharacterClassValidator:
    """Passwords need characters from at least `min_classes` of: upper, lower, digits, symbols (§8)."""

    def __init__(self, min_classes=3):
        self.min_classes = min_classes

    def validate(self, password, user=None):
        found = [name for name, test in CLASSES if any(test(c) for c in password)]
        if len(found) < self.min_classes:
            raise ValidationError(
                "密码必须至少包含大写字母、小写字母、数字、符号中的 %(n)d 类（当前只有 %(found)d 类）。",
                code="password_too_simple",
                params={"n": self.min_classes, "found": len(found)},
            )

    def get_help_text(self):
        return f"密码必须至少包含大写字母、小写字母、数字、符号中的 {self.min_classes} 类。"
