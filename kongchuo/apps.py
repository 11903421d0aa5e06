from django.apps import AppConfig


class KongchuoConfig(AppConfig):
    name = "kongchuo"
    verbose_name = "组织与账号"

    def ready(self):
        from . import privacy, signals  # noqa: F401
        from .checks import check_admin_holds_no_child_data, check_harfbuzz_subset  # noqa: F401
        from .jobs import selfcheck

        selfcheck.register()  # 后台任务自检 (the job layer's own kind)
        privacy.autodiscover()  # each app's privacy.py classifies its models (personal data or not)

        self._chinese_labels_for_axes()

    @staticmethod
    def _chinese_labels_for_axes():
        """django-axes ships no zh_Hans translation; its admin pages are for our system administrator."""
        from django.apps import apps

        labels = {"AccessAttempt": "登录失败记录（锁定计数）", "AccessFailureLog": "登录失败日志",
                  "AccessLog": "登录日志"}
        tasks_db = apps.get_app_config("django_tasks_database")  # the job layer's queue (kongchuo/jobs)
        tasks_db.verbose_name = "后台任务队列"
        for model in tasks_db.get_models():
            model._meta.verbose_name = model._meta.verbose_name_plural = "队列记录"
        axes = apps.get_app_config("axes")
        axes.verbose_name = "登录安全"
        for model in axes.get_models():
            label = labels.get(model.__name__)
            if label:
                model._meta.verbose_name = model._meta.verbose_name_plural = label
