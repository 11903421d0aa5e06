from django.apps import AppConfig


class StaffConfig(AppConfig):
    """教职工与账号 (go-live): staff import, one-time passwords, school admins managing their own staff."""

    name = "staff"
    verbose_name = "教职工与账号"
