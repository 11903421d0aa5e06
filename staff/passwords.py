"""One-time initial passwords and the pluggable SMS backend.

A one-time password is 10 characters from upper case, lower case and digits without look-alikes (0/O, 1/l/I), so
it can be read off a printed slip; it passes the password rules (settings.AUTH_PASSWORD_VALIDATORS) and the holder
must replace it at first login (staff.middleware).
"""
import secrets

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.module_loading import import_string

UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ"
LOWER = "abcdefghijkmnpqrstuvwxyz"
DIGITS = "23456789"
LENGTH = 10


def one_time_password(user=None):
    """A fresh random password that satisfies the password rules for `user`."""
    alphabet = UPPER + LOWER + DIGITS
    while True:
        chars = [secrets.choice(UPPER), secrets.choice(LOWER), secrets.choice(DIGITS)]
        chars += [secrets.choice(alphabet) for _ in range(LENGTH - 3)]
        secrets.SystemRandom().shuffle(chars)
        password = "".join(chars)
        try:
            validate_password(password, user)
        except ValidationError:
            continue
        return password


# ---------------------------------------------------------------- SMS (optional: a one-time code by SMS)
class ConsoleSmsBackend:
    """Default: writes the message to the server log / console (development, and districts without a gateway)."""

    sent = []  # the last messages, for tests and the demo

    def send(self, phone, text):
        import logging

        logging.getLogger("kongchuo.sms").warning("短信（未配置短信网关，仅记录）→ %s：%s", phone, text)
        type(self).sent.append((phone, text))
        del type(self).sent[:-50]
        return True


def sms_backend():
    """settings.KONGCHUO_SMS_BACKEND: dotted path of a class with send(phone, text) -> bool."""
    path = getattr(settings, "KONGCHUO_SMS_BACKEND", "staff.passwords.ConsoleSmsBackend")
    return import_string(path)()


def sms_configured():
    """Is a real gateway configured (anything but the console backend)?"""
    return getattr(settings, "KONGCHUO_SMS_BACKEND", "staff.passwords.ConsoleSmsBackend") not in (
        "staff.passwords.ConsoleSmsBackend", "")
