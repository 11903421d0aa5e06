"""Forgotten password by SMS (only when settings.KONGCHUO_SMS_BACKEND names a real gateway): a 6-digit code valid
for 10 minutes, 5 attempts, at most one code a minute and 5 a day per account; stored hashed."""
import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from staff.models import SmsCode
from staff.passwords import sms_backend, sms_configured

User = get_user_model()
VALID_FOR = timedelta(minutes=10)
MAX_ATTEMPTS = 5
PER_DAY = 5
SENT = "如果该账号登记了手机号，验证码已发送，10 分钟内有效。"


def _account(username):
    username = (username or "").strip()[:150]
    if not username:
        return None
    return (User.objects.filter(username=username, is_active=True).first()
            or User.objects.filter(phone=username, is_active=True).order_by("pk").first())


@transaction.atomic
def sms_code_send(*, username, now=None):
    """Send a code to the account's phone. Returns the same message whether or not the account exists."""
    if not sms_configured():
        raise ValidationError("未配置短信网关：请联系学校管理员或教育办重置密码。")
    now = now or timezone.now()
    user = _account(username)
    if user is None or not user.phone:
        return SENT
    User.objects.select_for_update().filter(pk=user.pk).first()
    recent = SmsCode.objects.filter(user=user, created__gte=now - timedelta(days=1))
    if recent.filter(created__gte=now - timedelta(minutes=1)).exists():
        raise ValidationError("验证码发送过于频繁，请 1 分钟后再试。")
    if recent.count() >= PER_DAY:
        raise ValidationError("今天的验证码次数已用完，请联系学校管理员或教育办重置密码。")
    code = f"{secrets.randbelow(10**6):06d}"
    SmsCode.objects.filter(user=user, used=False).update(used=True)
    SmsCode.objects.create(user=user, code_hash=make_password(code), expires=now + VALID_FOR)
    sms_backend().send(user.phone, f"【控辍保学平台】您的密码重置验证码为 {code}，10 分钟内有效。如非本人操作请忽略。")
    return SENT


def sms_code_reset(*, username, code, new_password, now=None):
    """Check the code and set the new password (the password rules apply). Raises ValidationError (Chinese).
    A wrong code counts as an attempt even though the call fails (the count is saved in its own transaction)."""
    from django.contrib.auth.password_validation import validate_password

    from staff.services import account_password_changed

    now = now or timezone.now()
    user = _account(username)
    wrong = ValidationError({"code": "验证码错误或已失效。"})
    if user is None:
        raise wrong
    with transaction.atomic():
        record = (SmsCode.objects.select_for_update().filter(user=user, used=False, expires__gt=now)
                  .order_by("-created").first())
        if record is None or record.attempts >= MAX_ATTEMPTS:
            raise wrong
        record.attempts += 1
        record.save(update_fields=["attempts"])
        matched = check_password(str(code or "").strip(), record.code_hash)
    if not matched:
        raise wrong
    validate_password(new_password, user)
    with transaction.atomic():
        record = SmsCode.objects.select_for_update().get(pk=record.pk)
        if record.used:
            raise wrong
        record.used = True
        record.save(update_fields=["used"])
        user.set_password(new_password)
        user._change_reason = "短信验证码重置密码"
        user.save()
        account_password_changed(user=user)
    return user
