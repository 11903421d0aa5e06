"""python manage.py import_staff FILE [--school CODE] [--area CODE] [--commit [--valid-only]] [-o SLIPS.pdf]

Without --commit: preview only, exit status 1 when any row is invalid (the errors are printed).
--commit: import all rows in one transaction, or nothing when any row is invalid (exit status 1).
--commit --valid-only: import the valid rows, skip the invalid ones (exit status 0, the skipped rows are printed).
-o SLIPS.pdf: write the 账号开通单 of the new accounts (one slip each); without it the one-time passwords are printed.
Exit status 2: the file cannot be read, or the school/area/user does not exist.
Without --school the file is area-wide (its 学校 column decides); --area is needed only when there are several areas.
"""
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from kongchuo.models import Area, School, User
from staff.import_services import staff_import_from_path
from staff.slips import entries_from_credentials, slips_pdf
from students.importing.reader import FileFormatError
from students.management.commands.import_students import print_report

OUTCOMES = {"new": "新建", "updated": "更新", "unchanged": "无变化"}


class Command(BaseCommand):
    help = "导入教职工名单（先预览；--commit 建账号并授予角色；-o 输出账号开通单 PDF）"

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--school", help="学校标识码（不填 = 全区名单，按“学校”列区分）")
        parser.add_argument("--area", help="管理区行政区划代码（只有一个管理区时可不填）")
        parser.add_argument("--commit", action="store_true", help="保存（整个文件，一个事务）")
        parser.add_argument("--valid-only", action="store_true", help="与 --commit 一起用：只导入有效行")
        parser.add_argument("-o", "--output", help="账号开通单 PDF 的保存路径（新建账号每人一张）")
        parser.add_argument("--user", help="以该用户名记录导入人（须有相应管理权限）")
        parser.add_argument("--engine", choices=["calamine", "openpyxl"], help="Excel 读取方式（默认自动）")
        parser.add_argument("--show", type=int, default=50, help="最多列出多少条错误/提示")

    def handle(self, *args, file, school, area, commit, valid_only, output, user, engine, show, **options):
        if valid_only and not commit:
            raise CommandError("--valid-only 只能与 --commit 一起使用", returncode=2)
        if output and not commit:
            raise CommandError("-o 只能与 --commit 一起使用（预览不建账号）", returncode=2)
        school_obj = None
        if school:
            school_obj = School.objects.filter(code=school).select_related("area").first()
            if school_obj is None:
                raise CommandError(f"没有学校标识码为 {school} 的学校", returncode=2)
        if area:
            area_obj = Area.objects.filter(code=area).first()
            if area_obj is None:
                raise CommandError(f"没有行政区划代码为 {area} 的管理区", returncode=2)
        elif school_obj is not None:
            area_obj = school_obj.area
        else:
            areas = list(Area.objects.all()[:2])
            if len(areas) != 1:
                raise CommandError("有多个管理区（或没有管理区）：请用 --area 指定", returncode=2)
            area_obj = areas[0]
        if school_obj is not None and school_obj.area_id != area_obj.pk:
            raise CommandError(f"{school_obj.name} 不属于 {area_obj.name}", returncode=2)
        actor = None
        if user:
            actor = User.objects.filter(username=user).first()
            if actor is None:
                raise CommandError(f"没有用户 {user}", returncode=2)
        try:
            record, report, credentials = staff_import_from_path(
                path=file, area=area_obj, school=school_obj, actor=actor, commit=commit, valid_only=valid_only,
                engine=engine)
        except FileNotFoundError:
            raise CommandError(f"找不到文件 {file}", returncode=2) from None
        except (FileFormatError, PermissionDenied) as exc:
            raise CommandError(str(exc), returncode=2) from None
        out = self.stdout
        print_report(out, report, limit=show)
        if not commit:
            for row in report.details.get("rows", [])[:show]:
                out.write(f"  第 {row['row']} 行 {row['name']} {row['phone']}：{OUTCOMES[row['outcome']]}"
                          + (f"，授予 {'、'.join(row['roles'])}" if row["roles"] else ""))
            if report.invalid:
                raise CommandError(f"预览：{report.invalid} 行有错误（未保存任何数据）", returncode=1)
            out.write(self.style.SUCCESS("预览：全部有效（未保存；加 --commit 导入）"))
            return
        if not report.committed:
            raise CommandError(f"未导入：{report.invalid} 行有错误，整个文件未保存（可加 --valid-only 只导入有效行）",
                               returncode=1)
        entries = entries_from_credentials(credentials)
        if output and entries:
            with open(output, "wb") as fh:
                fh.write(slips_pdf(entries, issued_by="命令行导入"))
            out.write(f"账号开通单：{output}（{len(entries)} 张）")
        elif entries:
            out.write("新建账号的一次性初始密码（只显示这一次，首次登录须修改）：")
            for e in entries:
                out.write(f"  {e['name']}\t{e['school']}\t用户名 {e['username']}\t初始密码 {e['password']}")
        out.write(self.style.SUCCESS(
            f"已导入（第 {record.pk} 批）：新建账号 {report.new}，更新 {report.updated}，无变化 {report.unchanged}，"
            f"跳过有错误的行 {report.invalid}；授予角色 {report.details.get('roles_granted', 0)} 个"))
