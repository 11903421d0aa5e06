from django.apps import AppConfig


class StudentsConfig(AppConfig):
    name = "students"
    verbose_name = "学生学籍"

    def ready(self):
        # discovery: workbench panels (今日点名, 未返校) and the 学籍异动 → 未返校 receiver.
        from students.discovery import panels, receivers  # noqa: F401
        from students.discovery import jobs as discovery_jobs
        from students.importing import jobs as import_jobs

        import_jobs.register()  # 学籍导入 preview/commit as background jobs (kongchuo/jobs)
        discovery_jobs.register()  # the term-start 未返校 check of a whole school
