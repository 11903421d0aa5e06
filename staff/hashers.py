"""Hashing of one-time passwords.

A one-time password is 10 random characters from a 56-character alphabet (≈ 58 bits): key stretching adds nothing
against guessing it, but PBKDF2 at Django's 1,000,000 iterations costs 0.4–1.9 s per account here — 300 accounts of
a district import would take minutes. One-time passwords are therefore hashed with PBKDF2 at 10,000 iterations;
at the first login Django re-hashes with the default hasher (check_password's setter) and the holder then sets their
own password, which is stretched as usual.
"""
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher, make_password

NAME = "staff.hashers.OneTimePasswordHasher"


class OneTimePasswordHasher(PBKDF2PasswordHasher):
    algorithm = "pbkdf2_otp"
    iterations = 10_000


def make_one_time_hash(password):
    """The OTP hasher when settings.PASSWORD_HASHERS lists it (production), else the default hasher (tests)."""
    if NAME in settings.PASSWORD_HASHERS:
        return make_password(password, hasher=OneTimePasswordHasher.algorithm)
    return make_password(password)
