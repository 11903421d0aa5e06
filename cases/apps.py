from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "控辍个案"

    def ready(self):
        from cases import receivers, risk  # noqa: F401 - risk registers the home-visit signal in students.risk
        from cases.services.deadline_checks import register_all

        receivers.connect()
        register_all()
