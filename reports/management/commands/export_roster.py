"""Export a 花名册 / 台账 workbook as of a month end, for a user's scope (the same service as the web job).

Exit status: 0 written; 2 bad input (unknown kind, month, school, user, no permission, file not writable) — as
import_students. Every export is written to the access log.
"""
import os
import time

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from kongchuo.models import School
from reports import rosters, services


class Command(BaseCommand):
    help = "导出花名册/台账（按所选月份月末状态；--kind ledger 为控辍保学工作台账）"

    def add_arguments(self, parser):
        parser.add_argument("--kind", required=True, help="、".join(f"{k}={v.label}" for k, v in rosters.KINDS.items()))
        parser.add_argument("--school", help="学校标识码（不填：用户可见的全部学校，汇总表 + 每校一页）")
        parser.add_argument("--month", help="YYYY-MM（默认本月）")
        parser.add_argument("--user", help="以该用户的权限范围导出（必填）")
        parser.add_argument("--purpose", default="命令行导出", help="导出用途（记入访问日志）")
        parser.add_argument("--unmask", action="store_true", help="不脱敏（须角色允许；全区导出须审批，暂不开放）")
        parser.add_argument("-o", "--output", required=True, help="输出文件 .xlsx")

    def handle(self, *args, kind, school, month, user, purpose, unmask, output, **options):
        if kind not in rosters.KINDS:
            raise CommandError(f"名册类型 {kind} 不存在，可选：" + "、".join(rosters.KINDS), returncode=2)
        if not user:
            raise CommandError("请用 --user 指定导出人（导出范围按其权限）", returncode=2)
        actor = get_user_model().objects.filter(username=user).first()
        if actor is None:
            raise CommandError(f"没有用户 {user}", returncode=2)
        school_obj = None
        if school:
            school_obj = School.objects.filter(code=school).first()
            if school_obj is None:
                raise CommandError(f"没有学校标识码为 {school} 的学校", returncode=2)
        try:
            year, mon = rosters.parse_month(month or timezone.localdate().strftime("%Y-%m"))
        except rosters.ExportError as exc:
            raise CommandError(str(exc), returncode=2) from None
        directory = os.path.dirname(os.path.abspath(output))
        if not os.path.isdir(directory):
            raise CommandError(f"输出目录 {directory} 不存在", returncode=2)
        started = time.perf_counter()
        try:
            content, total, name = services.roster_export(actor=actor, kind=kind, year=year, month=mon,
                                                          school=school_obj, unmask=unmask, purpose=purpose)
        except (rosters.ExportError, PermissionDenied) as exc:
            raise CommandError(str(exc), returncode=2) from None
        try:
            with open(output, "wb") as fh:
                fh.write(content)
        except OSError as exc:
            raise CommandError(f"无法写入 {output}：{exc}", returncode=2) from None
        self.stdout.write(self.style.SUCCESS(
            f"已导出《{name}》到 {output}：{total} 行，用时 {time.perf_counter() - started:.2f} 秒"))
