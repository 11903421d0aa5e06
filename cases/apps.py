from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "控辍个案"

    def ready(self):
        # panels: 我的工作台; risk: the home-visit signal in students.risk; receivers: registry signals.
        from cases import panels, receivers, risk, stale  # noqa: F401
        from cases.services.deadline_checks import register_all

        receivers.connect()
        register_all()
        stale.register()  # kongchuo.lifecycle: the "已由…于…" messages of a lost race
