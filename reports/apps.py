from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "报表统计"

    def ready(self):
        from . import jobs

        jobs.register()
        from students.discovery import selectors as discovery_selectors

        from . import asof

        discovery_selectors.register_ledger_filter(asof.ledger_filter)
