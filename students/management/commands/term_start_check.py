"""开学返校比对 for one school (seed 五.1). Idempotent: running it twice gives the same 未返校 entries."""
from datetime import date

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from kongchuo.models import School, Term
from students.discovery.term import current_term, term_start_check


class Command(BaseCommand):
    help = "开学返校比对：上学期在籍、本学期未报到且无学籍异动记录的学生登记为未返校。可重复执行。"

    def add_arguments(self, parser):
        parser.add_argument("--school", required=True, help="学校标识码（10 位）")
        parser.add_argument("--term", type=int, help="学期 ID（默认当前学期）")
        parser.add_argument("--date", help="按哪一天比对（YYYY-MM-DD，默认今天）")

    def handle(self, *args, **options):
        try:
            school = School.objects.get(code=options["school"].strip())
        except School.DoesNotExist:
            raise CommandError(f"找不到学校标识码为“{options['school']}”的学校。")
        today = None
        if options.get("date"):
            try:
                today = date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError(f"日期“{options['date']}”格式不正确，应为 YYYY-MM-DD。")
        if options.get("term"):
            term = Term.objects.filter(pk=options["term"]).select_related("school_year").first()
            if term is None:
                raise CommandError(f"找不到 ID 为 {options['term']} 的学期。")
        else:
            term = current_term(today)
            if term is None:
                raise CommandError("尚未设置学期，请先在系统管理中添加学期。")
        try:
            result = term_start_check(school=school, term=term, today=today)
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages))
        for line in result.lines():
            self.stdout.write(line)
