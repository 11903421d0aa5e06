from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "notices"
    verbose_name = "劝返通知书"

    def ready(self):
        from django.db.models.signals import post_save

        from cases.deadlines import CHECKS, register
        from cases.models import Case
        from notices import panels, signals  # noqa: F401 - panels register themselves
        from kongchuo import lifecycle
        from notices.models import Notice
        from notices.services import describe_stale, notice_check_deadlines

        lifecycle.register(Notice, describe_stale)  # the "已由…于…登记送达" message of a lost race

        if notice_check_deadlines not in CHECKS:
            register(notice_check_deadlines)
        post_save.connect(signals.case_saved, sender=Case, dispatch_uid="notices.case_saved")
        from notices import jobs

        jobs.register()  # batch PDFs of many fresh notices run as a background job (kongchuo/jobs)
