"""python manage.py import_org FILE --kind schools|villages [--area CODE] [--commit [--valid-only]]

学校名录 (学校标识码, 学校名称, 学段, 所属办事处, 地址, 电话) or 村（社区）名录 (代码, 名称, 办事处), matched by code;
or 年级与班级 of the current school year (学校, 班级 such as 三年级(1)班), created when missing.
Exit codes as import_students: 1 = rows with errors (nothing saved unless --valid-only), 2 = file/area unusable.
"""
from django.core.management.base import BaseCommand, CommandError

from kongchuo.models import Area
from staff.org_import import OrgImport
from students.importing.reader import FileFormatError
from students.management.commands.import_students import print_report


class Command(BaseCommand):
    help = "导入学校名录或村（社区）名录（先预览；--commit 保存）"

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--kind", required=True, choices=["schools", "villages", "classes"])
        parser.add_argument("--area", help="管理区行政区划代码（只有一个管理区时可不填）")
        parser.add_argument("--commit", action="store_true")
        parser.add_argument("--valid-only", action="store_true")
        parser.add_argument("--show", type=int, default=50)

    def handle(self, *args, file, kind, area, commit, valid_only, show, **options):
        if valid_only and not commit:
            raise CommandError("--valid-only 只能与 --commit 一起使用", returncode=2)
        areas = list(Area.objects.filter(code=area)) if area else list(Area.objects.all()[:2])
        if len(areas) != 1:
            raise CommandError(f"没有行政区划代码为 {area} 的管理区" if area else "请用 --area 指定管理区", returncode=2)
        try:
            runner = OrgImport(kind=kind, area=areas[0], path=file)
            report = runner.run(commit=commit, valid_only=valid_only)
        except FileNotFoundError:
            raise CommandError(f"找不到文件 {file}", returncode=2) from None
        except FileFormatError as exc:
            raise CommandError(str(exc), returncode=2) from None
        print_report(self.stdout, report, limit=show)
        if report.details.get("subdistricts_to_create"):
            self.stdout.write("需新建的办事处：" + "、".join(report.details["subdistricts_to_create"]))
        if not commit:
            if report.invalid:
                raise CommandError(f"预览：{report.invalid} 行有错误（未保存任何数据）", returncode=1)
            self.stdout.write(self.style.SUCCESS("预览：全部有效（未保存；加 --commit 导入）"))
            return
        if not report.committed:
            raise CommandError(f"未导入：{report.invalid} 行有错误，整个文件未保存（可加 --valid-only 只导入有效行）",
                               returncode=1)
        self.stdout.write(self.style.SUCCESS(f"已导入：{report.counts_line()}"))
