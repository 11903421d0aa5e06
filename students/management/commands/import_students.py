"""python manage.py import_students FILE --school CODE [--commit [--valid-only]] [--user USERNAME]

Without --commit: preview only, exit status 1 when any row is invalid (the errors are printed).
--commit: import all rows in one transaction, or nothing when any row is invalid (exit status 1).
--commit --valid-only: import the valid rows, skip the invalid ones (exit status 0, the skipped rows are printed).
Exit status 2: the file cannot be read, or the school/user does not exist.
"""
import resource
import time

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from kongchuo.models import School, User
from students.importing.reader import FileFormatError
from students.importing.services import import_from_path


def rss_mb():
    """This process's resident memory now (MB), or 0 where /proc is missing."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0


def peak_rss_mb():
    """This process's peak resident memory. /proc VmHWM belongs to the process image (ru_maxrss on Linux keeps the
    parent's peak across fork+exec, which would report the caller's memory)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def print_report(out, report, *, limit):
    out.write(f"表头在第 {report.header_row} 行；读取方式 {report.engine}")
    if report.unknown_columns:
        out.write("未识别（已忽略）的列：" + "、".join(report.unknown_columns))
    out.write(f"新增 {report.new}  更新 {report.updated}  无变化 {report.unchanged}  有错误 {report.invalid}"
              f"  （共 {report.total_rows} 行）")
    details = report.details
    extra = [f"{label} {details[key]}" for key, label in (
        ("family_created", "新增家庭成员"), ("family_updated", "更新家庭成员"), ("flags_created", "新增重点关注标记"),
        ("enrolments_created", "新增在籍记录"), ("classes_created", "新建班级"),
        ("missing_from_file", "本校在册而文件中没有的学生（未作改动）")) if details.get(key)]
    timings = details.get("timings")
    if timings:
        parts = {"read_parse": "读取与检查", "classify": "比对已有学生", "write": "写入"}
        line = "，".join(f"{label} {timings[key]:.2f} 秒" for key, label in parts.items() if key in timings)
        if details.get("copy_seconds") is not None:
            line += f"（其中数据库 COPY {details['copy_seconds']:.2f} 秒，与检查并行）"
        out.write("分段用时：" + line)
    if details.get("classes_to_create"):
        extra.append("需新建的班级：" + "、".join(details["classes_to_create"]))
    if extra:
        out.write("；".join(extra))
    for issue in report.errors[:limit]:
        out.write(f"  第 {issue['row']} 行 {issue['column']}：{issue['message']}"
                  + (f"（原值“{issue['value']}”）" if issue["value"] else ""))
    if len(report.errors) > limit:
        out.write(f"  …… 另有 {len(report.errors) - limit} 处错误未列出")
    for issue in report.warnings[:limit]:
        out.write(f"  提示：第 {issue['row']} 行 {issue['column']}：{issue['message']}")


class Command(BaseCommand):
    help = "导入全国学籍系统导出的 Excel（先预览；--commit 保存）"

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--school", required=True, help="学校标识码")
        parser.add_argument("--commit", action="store_true", help="保存（整个文件，一个事务）")
        parser.add_argument("--valid-only", action="store_true", help="与 --commit 一起用：只导入有效行")
        parser.add_argument("--user", help="以该用户名记录导入人（须为该校管理员）")
        parser.add_argument("--engine", choices=["calamine", "openpyxl"], help="Excel 读取方式（默认自动）")
        parser.add_argument("--show", type=int, default=50, help="最多列出多少条错误/提示")

    def handle(self, *args, file, school, commit, valid_only, user, engine, show, **options):
        if valid_only and not commit:
            raise CommandError("--valid-only 只能与 --commit 一起使用", returncode=2)
        try:
            school_obj = School.objects.get(code=school)
        except School.DoesNotExist:
            raise CommandError(f"没有学校标识码为 {school} 的学校", returncode=2) from None
        actor = None
        if user:
            actor = User.objects.filter(username=user).first()
            if actor is None:
                raise CommandError(f"没有用户 {user}", returncode=2)
        started = time.perf_counter()
        try:
            batch, report = import_from_path(path=file, school=school_obj, actor=actor, commit=commit,
                                             valid_only=valid_only, engine=engine)
        except FileNotFoundError:
            raise CommandError(f"找不到文件 {file}", returncode=2) from None
        except FileFormatError as exc:
            raise CommandError(str(exc), returncode=2) from None
        except PermissionDenied as exc:
            raise CommandError(str(exc), returncode=2) from None
        elapsed = time.perf_counter() - started
        out = self.stdout
        print_report(out, report, limit=show)
        peak = peak_rss_mb()
        out.write(f"用时 {elapsed:.2f} 秒；写入数据库 {report.rows_written} 行（含历史记录）；峰值内存 {peak:.0f} MB；"
                  f"结束时内存 {rss_mb():.0f} MB")
        if not commit:
            if report.invalid:
                raise CommandError(f"预览：{report.invalid} 行有错误（未保存任何数据）", returncode=1)
            out.write(self.style.SUCCESS("预览：全部有效（未保存；加 --commit 导入）"))
            return
        if not report.committed:
            raise CommandError(f"未导入：{report.invalid} 行有错误，整个文件未保存（可加 --valid-only 只导入有效行）",
                               returncode=1)
        out.write(self.style.SUCCESS(f"已导入（第 {batch.pk} 批）：新增 {report.new}，更新 {report.updated}，"
                                     f"无变化 {report.unchanged}，跳过有错误的行 {report.invalid}"))
