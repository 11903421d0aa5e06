from django.apps import AppConfig


class StudentsConfig(AppConfig):
    name = "students"
    verbose_name = "学生学籍"

    def ready(self):
        # discovery: workbench panels (今日点名, 未返校) and the 学籍异动 → 未返校 receiver.
        from students.discovery import panels, receivers  # noqa: F401
        from students.importing import jobs

        jobs.register()  # 学籍导入 preview/commit as background jobs (kongchuo/jobs)
