from django.apps import AppConfig


class StaffConfig(AppConfig):
    """教职工与账号 (go-live): staff import, one-time passwords, school admins managing their own staff."""

    name = "staff"
    verbose_name = "教职工与账号"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from cases import deadlines
        from staff.import_services import staff_credentials_expire
        from staff.jobs import register
        from staff.middleware import remember_at_login

        register()  # the staff and organisation import jobs
        if staff_credentials_expire not in deadlines.CHECKS:  # unviewed one-time passwords leave the job's result
            deadlines.register(staff_credentials_expire)

        user_logged_in.connect(remember_at_login, dispatch_uid="staff.first_password")
