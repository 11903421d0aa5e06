"""`python manage.py run_deadlines [--now ISO]` — what cron runs (e.g. every 15 minutes). Idempotent."""
import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cases import deadlines


class Command(BaseCommand):
    help = "检查各项办理期限（个案层级期限、保学跟踪、缓学/免学到期、通知书七日期限等）并执行到期操作。可重复执行。"

    def add_arguments(self, parser):
        parser.add_argument("--now", help="以指定时间运行（ISO 格式，例如 2026-10-12T08:00），用于补跑和测试")

    def handle(self, *args, **options):
        now = timezone.now()
        if options.get("now"):
            try:
                now = datetime.datetime.fromisoformat(options["now"])
            except ValueError:
                raise CommandError(f"--now 时间格式无效：{options['now']}（示例：2026-10-12T08:00）")
            if timezone.is_naive(now):
                now = timezone.make_aware(now)
        lines = deadlines.run_all(now=now)
        stamp = timezone.localtime(now).strftime("%Y-%m-%d %H:%M")
        for line in lines:
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS(f"[{stamp}] 期限检查完成：{len(lines)} 项操作。"))
