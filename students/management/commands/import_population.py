"""python manage.py import_population FILE --village CODE [--commit [--valid-only]] [--user USERNAME]

学籍比对: a 村/社区 list of school-age children (6–15) matched against the enrolment of every school of the area.
Exit status as import_students: 1 when rows are invalid (preview, or --commit without --valid-only), 2 for a file
or village that cannot be used.
"""
import time

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from kongchuo.models import User, Village
from students.importing.population_services import population_import_from_path
from students.importing.reader import FileFormatError
from students.management.commands.import_students import print_report


class Command(BaseCommand):
    help = "导入村/社区适龄儿童名单并与全区学籍比对（先预览；--commit 保存）"

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--village", required=True, help="村/社区代码")
        parser.add_argument("--commit", action="store_true")
        parser.add_argument("--valid-only", action="store_true")
        parser.add_argument("--user")
        parser.add_argument("--show", type=int, default=50)

    def handle(self, *args, file, village, commit, valid_only, user, show, **options):
        if valid_only and not commit:
            raise CommandError("--valid-only 只能与 --commit 一起使用", returncode=2)
        village_obj = Village.objects.filter(code=village).first()
        if village_obj is None:
            raise CommandError(f"没有代码为 {village} 的村/社区", returncode=2)
        actor = None
        if user:
            actor = User.objects.filter(username=user).first()
            if actor is None:
                raise CommandError(f"没有用户 {user}", returncode=2)
        started = time.perf_counter()
        try:
            record, report = population_import_from_path(path=file, village=village_obj, actor=actor, commit=commit,
                                                         valid_only=valid_only)
        except FileNotFoundError:
            raise CommandError(f"找不到文件 {file}", returncode=2) from None
        except (FileFormatError, PermissionDenied) as exc:
            raise CommandError(str(exc), returncode=2) from None
        print_report(self.stdout, report, limit=show)
        d = report.details
        self.stdout.write(f"比对：在读 {d.get('matched', 0)} 名；待核实 {d.get('candidates', 0)} 名"
                          f"（疑似适龄未入学 {d.get('candidates_not_enrolled', 0)}，疑似失学 {d.get('candidates_dropout', 0)}）")
        self.stdout.write(f"用时 {time.perf_counter() - started:.2f} 秒")
        if not commit:
            if report.invalid:
                raise CommandError(f"预览：{report.invalid} 行有错误（未保存任何数据）", returncode=1)
            self.stdout.write(self.style.SUCCESS("预览：全部有效（未保存；加 --commit 导入）"))
            return
        if not report.committed:
            raise CommandError(f"未导入：{report.invalid} 行有错误，整个名单未保存（可加 --valid-only 只导入有效行）",
                               returncode=1)
        self.stdout.write(self.style.SUCCESS(f"已导入（第 {record.pk} 批）：新增 {report.new}，更新 {report.updated}，"
                                             f"无变化 {report.unchanged}，跳过有错误的行 {report.invalid}"))
