from django.apps import AppConfig


class KongchuoConfig(AppConfig):
    name = "kongchuo"
    verbose_name = "组织与账号"

    def ready(self):
        from . import signals  # noqa: F401
        from .checks import check_harfbuzz_subset  # noqa: F401
