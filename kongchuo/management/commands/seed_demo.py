from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.module_loading import import_string

from kongchuo import demo

# Each app adds a step `fn(org, users, options, stdout)` here; they run in order.
DEMO_STEPS = [
    "students.demo.build",
    "students.discovery.demo.build",
    "cases.demo.build",
    "notices.demo.build",
    "reports.demo.build",
]


class Command(BaseCommand):
    help = "建立（或更新）演示管理区：组织机构、学校、演示账号及各模块的演示数据。可重复执行。"

    def add_arguments(self, parser):
        parser.add_argument("--students", type=int, default=400, help="演示学生人数（默认 400）")

    def handle(self, *args, **options):
        with transaction.atomic():
            org = demo.build_org()
            users = demo.build_personas(org)
            for path in DEMO_STEPS:
                try:
                    step = import_string(path)
                except ImportError:
                    continue
                step(org=org, users=users, options=options, stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(
            f"演示数据已就绪：{len(org['schools'])} 所学校，{len(users)} 个演示账号，统一密码 {demo.DEMO_PASSWORD}"))
        for username, real_name, role, _ in demo.PERSONAS:
            self.stdout.write(f"  {username:<18} {real_name}  {role.label}")
