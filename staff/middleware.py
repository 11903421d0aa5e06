"""First login (and after a reset): an account holding a one-time password can only change it or log out.

The flag is put in the session at login (staff.apps: user_logged_in), so ordinary requests cost no query. Issuing a
one-time password changes the password hash, which ends every existing session of that account: the flag can only
become true at a new login.
"""
from django.shortcuts import redirect
from django.urls import reverse

SESSION_KEY = "kc_must_change_password"
ALLOWED = ("staff:first_password", "logout", "login", "staff:password_help")


class FirstPasswordMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and session.get(SESSION_KEY) and request.user.is_authenticated:
            if request.path not in {reverse(name) for name in ALLOWED} and not request.path.startswith("/static/"):
                return redirect("staff:first_password")
        return self.get_response(request)


def remember_at_login(sender, request, user, **kwargs):
    from staff.models import StaffProfile

    if request is None or not hasattr(request, "session"):
        return
    if StaffProfile.objects.filter(user_id=user.pk, must_change_password=True).exists():
        request.session[SESSION_KEY] = True
    else:
        request.session.pop(SESSION_KEY, None)
