"""Daily (cron) threshold check of unexcused absence streaks. Idempotent: a second run changes nothing."""
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from students.discovery.absences import absences_evaluate


class Command(BaseCommand):
    help = "按上课日重新计算连续无故缺勤，达到预警/疑似辍学/辍学标准时各记录一次并发出事件。可重复执行。"

    def add_arguments(self, parser):
        parser.add_argument("--date", help="按哪一天计算（YYYY-MM-DD，默认今天）")

    def handle(self, *args, **options):
        if options.get("date"):
            try:
                as_of = date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError(f"日期“{options['date']}”格式不正确，应为 YYYY-MM-DD，例如 2026-09-01。")
        else:
            as_of = timezone.localdate()
        result = absences_evaluate(as_of=as_of)
        for line in result.lines():
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS(
            f"{as_of:%Y-%m-%d} 缺勤检查完成：新预警 {len(result.alerts)} 条，新连续缺勤 {len(result.opened)} 起，"
            f"更新 {result.updated} 起，结束 {len(result.closed)} 起。"))
