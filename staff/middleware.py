"""First login (and after a reset): an account holding a one-time password can only change it or log out."""
from django.shortcuts import redirect
from django.urls import reverse

ALLOWED = ("staff:first_password", "logout", "login", "staff:password_help")


class FirstPasswordMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and self._must_change(user):
            allowed = {reverse(name) for name in ALLOWED}
            path = request.path
            if path not in allowed and not path.startswith(("/static/",)):
                return redirect("staff:first_password")
        return self.get_response(request)

    @staticmethod
    def _must_change(user):
        from staff.models import StaffProfile

        return StaffProfile.objects.filter(user_id=user.pk, must_change_password=True).exists()
