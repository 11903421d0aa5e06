"""The official 花名册 / 台账 workbooks (SPEC §7), built from the as-of selectors (reports/asof.py).

Streaming: openpyxl write-only mode (flat memory); merges are recorded with `ws.merged_cells.add` (write-only has no
merge_cells(), PITFALLS.md). Every cell value goes through kongchuo.xlsx.escape (formula injection, illegal XML).
Rows are fetched in one query per list plus a fixed number of prefetch queries per chunk (never per row).
"""
import datetime
import io
from copy import copy
import itertools
from dataclasses import dataclass

from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from cases.models import Case, CaseEvent, CaseReason
from kongchuo import access
from kongchuo.audit import mask_id, mask_phone
from kongchuo.models import School
from kongchuo.xlsx import escape
from students.models import CareAssignment, FamilyMember, StatusChange, VulnerabilityFlag
from students.models.discovery import AbsenceEpisode

from . import asof

A = asof
OUT_CATEGORIES = [A.NOT_RETURNED, A.SUSPECTED, A.DROPOUT, A.RETURNED, A.HOME_TEACHING, A.DEFERRED, A.EXEMPT]


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    categories: tuple = ()
    assisted: bool = False
    children: bool = False


KINDS = {k.key: k for k in [
    Kind("not_returned", "未返校学生花名册", (A.NOT_RETURNED,)),
    Kind("suspected", "疑似辍学学生台账", (A.SUSPECTED,)),
    Kind("dropout", "辍学学生花名册", (A.DROPOUT,)),
    Kind("returned", "劝返复学学生花名册", (A.RETURNED,)),
    Kind("home_teaching", "送教上门学生花名册", (A.HOME_TEACHING,)),
    Kind("exempt", "缓学/免学学生花名册", (A.DEFERRED, A.EXEMPT)),
    Kind("assisted", "资助学生花名册", assisted=True),
    Kind("children", "适龄儿童台账", children=True),
    Kind("ledger", "控辍保学工作台账", tuple(OUT_CATEGORIES)),
]}

# (group, column, width, kind-of-value) — the combined ledger's columns (SPEC §7) plus the month-end category.
STUDENT_COLUMNS = [
    ("", "序号", 6), ("基本信息", "办事处/乡镇", 14), ("基本信息", "村", 12), ("基本信息", "学校", 18),
    ("基本信息", "年级", 7), ("基本信息", "班级", 7), ("基本信息", "学籍号", 22), ("基本信息", "姓名", 10),
    ("基本信息", "性别", 5), ("基本信息", "身份证号", 21), ("基本信息", "出生年月", 11),
    ("家庭情况", "监护人", 10), ("家庭情况", "关系", 6), ("家庭情况", "联系电话", 14),
    ("家庭情况", "脱贫/监测户", 8), ("家庭情况", "残疾类别", 8), ("家庭情况", "留守/孤儿", 10),
    ("控辍情况", "辍学时间", 11), ("控辍情况", "辍学原因", 14), ("控辍情况", "去向", 14),
    ("控辍情况", "包保责任人", 10), ("控辍情况", "劝返措施/次数", 10), ("控辍情况", "劝返结果", 12),
    ("控辍情况", "复学时间", 11), ("控辍情况", "安置方式", 10), ("控辍情况", "销号时间", 11),
    ("", "月末状态", 12),
]
CHILD_COLUMNS = [
    ("", "序号", 6), ("儿童信息", "办事处/乡镇", 14), ("儿童信息", "村", 12), ("儿童信息", "姓名", 10),
    ("儿童信息", "性别", 5), ("儿童信息", "出生日期", 11), ("儿童信息", "身份证号", 21), ("儿童信息", "监护人", 10),
    ("儿童信息", "联系电话", 14), ("儿童信息", "现住址", 24), ("比对情况", "比对结果", 12),
    ("比对情况", "就读学校", 18), ("比对情况", "核实状态", 12),
]
SUMMARY_CATEGORIES = [A.ENROLLED, A.NOT_RETURNED, A.SUSPECTED, A.DROPOUT, A.RETURNED, A.HOME_TEACHING, A.DEFERRED,
                      A.EXEMPT, A.SUSPENDED, A.TRANSFER_PENDING]
LEFT_BEHIND = {VulnerabilityFlag.Kind.LEFT_BEHIND_ONE, VulnerabilityFlag.Kind.LEFT_BEHIND_BOTH,
               VulnerabilityFlag.Kind.ORPHAN, VulnerabilityFlag.Kind.UNSUPPORTED}
CLOSED = [Case.Status.CLOSED, Case.Status.CLOSED_TRANSFER, Case.Status.CLOSED_DEATH, Case.Status.CLOSED_EXEMPT,
          Case.Status.CLOSED_AGED_OUT]
SIGN_LINE = "单位负责人（签名）：　　　　　　　　复核人（签名）：　　　　　　　　填表人（签名）："
CHUNK = 2000

_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD_FONT = Font(bold=True)
_HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_TOP = Alignment(vertical="top", wrap_text=True)
DATE_FORMAT = "yyyy-mm-dd"


@dataclass
class Request:
    """One export: who, what, which month, which school, masked or not."""

    user: object
    kind: Kind
    year: int
    month: int
    school: School | None = None
    unmask: bool = False
    purpose: str = ""

    @property
    def day(self):
        end = asof.month_end(self.year, self.month)
        return min(end, timezone.localdate())

    @property
    def month_label(self):
        return f"{self.year}年{self.month}月"


class ExportError(ValueError):
    pass


def may_unmask(user, school=None):
    return access.can(user, "student.unmask", school) if school is not None else access.can(user, "student.unmask")


# ---------------------------------------------------------------- rows
def student_rows(req):
    """The kind's students as of the month end, each with the facts its row shows. Yields (school_id, values)."""
    day, end = req.day, asof.end_of(req.day)
    qs = asof.students_as_of(req.user, day, school=req.school, categories=req.kind.categories or None,
                             assisted=req.kind.assisted)
    dropped = StatusChange.objects.filter(student=OuterRef("pk"), kind=StatusChange.Kind.DROP_OUT, date__lte=day)
    events = CaseEvent.objects.filter(case=OuterRef("pk"), at__lt=end)
    cases = (Case.objects.filter(deleted_at__isnull=True, opened_at__lt=end)
             .annotate(status_then=Subquery(events.exclude(to_status="").order_by("-at", "-pk")
                                            .values("to_status")[:1]),
                       returned_at=Subquery(events.filter(Q(kind=CaseEvent.Kind.RETURN)
                                                          | Q(to_status=Case.Status.RETURNED))
                                            .order_by("-at").values("at")[:1]),
                       closed_at_then=Subquery(events.filter(to_status__in=CLOSED).order_by("-at").values("at")[:1]),
                       visit_count=Count("visits", filter=Q(visits__visit_date__lte=day), distinct=True))
             .prefetch_related(Prefetch("reasons", queryset=CaseReason.objects.order_by("pk")))
             .order_by("-opened_at", "-pk"))
    flags = VulnerabilityFlag.objects.filter(start_date__lte=day).filter(Q(end_date__isnull=True)
                                                                         | Q(end_date__gte=day))
    care = (CareAssignment.objects.filter(Q(end_date__isnull=True) | Q(end_date__gt=day))
            .select_related("teacher").order_by("-pk"))
    streak = (AbsenceEpisode.objects.filter(student=OuterRef("pk"), since__lte=day, level__in=["suspected", "dropout"])
              .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=day)).order_by("since"))
    qs = (qs.annotate(dropout_change=Subquery(dropped.order_by("-date", "-pk").values("date")[:1]),
                      streak_since=Subquery(streak.values("since")[:1]))
          .select_related("school__subdistrict", "village__subdistrict", "grade", "school_class")
          .prefetch_related(Prefetch("family_members", queryset=FamilyMember.objects.filter(is_guardian=True)
                                     .order_by("pk"), to_attr="guardians"),
                            Prefetch("flags", queryset=flags, to_attr="flags_then"),
                            Prefetch("care_assignments", queryset=care, to_attr="care_then"),
                            Prefetch("cases", queryset=cases, to_attr="cases_then")))
    unmask = req.unmask
    labels = asof.CATEGORIES
    for n, s in enumerate(qs.iterator(chunk_size=CHUNK), start=1):
        guardian = s.guardians[0] if s.guardians else None
        case = s.cases_then[0] if s.cases_then else None
        kinds = {fl.kind for fl in s.flags_then}
        disability = next((fl.get_disability_type_display() or "是" for fl in s.flags_then
                           if fl.kind == VulnerabilityFlag.Kind.DISABLED), "")
        lb = "、".join(VulnerabilityFlag.Kind(k).label for k in sorted(kinds & LEFT_BEHIND))
        subdistrict = (s.village.subdistrict.name if s.village_id else
                       s.school.subdistrict.name if s.school_id else "")
        dropout_date = (s.dropout_change or (case.dropout_date if case else None)
                        or (s.streak_since if s.category in (A.DROPOUT, A.SUSPECTED) else None))
        teacher = s.care_then[0].teacher.display_name if s.care_then else ""
        yield s.school_id, [
            n, subdistrict, s.village.name if s.village_id else "", s.school.name if s.school_id else "",
            f"{s.grade.level}年级" if s.grade_id else "", f"{s.school_class.number}班" if s.school_class_id else "",
            s.student_number or "", s.name, s.get_gender_display(),
            (s.id_number or "") if unmask else mask_id(s.id_number), s.birth_date,
            guardian.name if guardian else "", guardian.relation if guardian else "",
            ((guardian.phone if unmask else mask_phone(guardian.phone)) if guardian else
             (s.phone if unmask else mask_phone(s.phone))),
            "是" if VulnerabilityFlag.Kind.POVERTY in kinds else "", disability, lb,
            dropout_date,
            "、".join(r.get_reason_display() for r in case.reasons.all()) if case else "",
            case.whereabouts if case else "", teacher,
            f"家访{case.visit_count}次" if case and case.visit_count else "",
            Case.Status(case.status_then).label if case and case.status_then else "",
            timezone.localtime(case.returned_at).date() if case and case.returned_at else None,
            case.get_placement_display() if case and case.placement else "",
            timezone.localtime(case.closed_at_then).date() if case and case.closed_at_then else None,
            labels.get(s.category, s.category),
        ]


def child_rows(req):
    qs = asof.children_as_of(req.user, req.day, school=req.school)
    for n, e in enumerate(qs.iterator(chunk_size=CHUNK), start=1):
        yield (e.matched_student.school_id if e.matched_student_id else None), [
            n, e.village.subdistrict.name, e.village.name, e.name, e.get_gender_display(), e.birth_date,
            (e.id_number or "") if req.unmask else mask_id(e.id_number), e.guardian_name,
            e.guardian_phone if req.unmask else mask_phone(e.guardian_phone), e.address, e.get_match_display(),
            e.matched_school_name or (e.matched_student.school.name if e.matched_student_id and
                                      e.matched_student.school_id else ""),
            e.get_status_display(),
        ]


def rows_for(req):
    return child_rows(req) if req.kind.children else student_rows(req)


def columns_for(kind):
    return CHILD_COLUMNS if kind.children else STUDENT_COLUMNS


# ---------------------------------------------------------------- workbook
def _cell(ws, value, *, font=None, fill=None, border=None, alignment=None, number_format=None):
    c = WriteOnlyCell(ws, value=escape(value))
    if font is not None:
        c.font = font
    if fill is not None:
        c.fill = fill
    if border is not None:
        c.border = border
    if alignment is not None:
        c.alignment = alignment
    if number_format:
        c.number_format = number_format
    return c


def _print_setup(ws, *, header_rows, exporter):
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = "9"  # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.print_title_rows = header_rows
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    footer = exporter.replace("&", "&&")[:200]  # "&" starts a header/footer code in Excel
    ws.oddFooter.right.text = footer
    ws.evenFooter.center.text = "第 &P 页，共 &N 页"
    ws.evenFooter.right.text = footer


def _head(ws, *, title, unit, filled_on, columns, exporter):
    """Title row, 填报单位/填报日期 line, two-level merged header (rows 3–4). Returns the next row number."""
    ncols = len(columns)
    last = get_column_letter(ncols)
    for i, (_, _, width) in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A5"
    _print_setup(ws, header_rows="3:4", exporter=exporter)
    ws.append([_cell(ws, title, font=Font(bold=True, size=16), alignment=_CENTER)])
    ws.row_dimensions[1].height = 30
    ws.merged_cells.add(f"A1:{last}1")
    split = max(ncols // 2, 1)
    info = [_cell(ws, f"填报单位（盖章）：{unit}")] + [None] * (split - 1)
    info += [_cell(ws, f"填报日期：{filled_on:%Y年%m月%d日}", alignment=Alignment(horizontal="right"))]
    ws.append(info)
    ws.merged_cells.add(f"A2:{get_column_letter(split)}2")
    ws.merged_cells.add(f"{get_column_letter(split + 1)}2:{last}2")
    style = dict(font=_HEAD_FONT, fill=_HEAD_FILL, border=_BORDER, alignment=_CENTER)
    top = [_cell(ws, group or name, **style) for group, name, _ in columns]
    ws.append(top)
    ws.append([_cell(ws, name if group else None, **style) for group, name, _ in columns])
    col = 1
    for group, items in itertools.groupby(columns, key=lambda c: c[0]):
        width = len(list(items))
        if not group:
            for k in range(width):
                letter = get_column_letter(col + k)
                ws.merged_cells.add(f"{letter}3:{letter}4")
        elif width > 1:
            ws.merged_cells.add(f"{get_column_letter(col)}3:{get_column_letter(col + width - 1)}3")
        col += width
    return 5


def _prototypes(ws):
    """Styled prototype cells per workbook: a data cell copies the prototype's style ids (a StyleArray) instead of
    setting border/alignment/format objects per cell — openpyxl hashes each style object on every assignment, which
    was ~70 % of the export's time."""
    wb = ws.parent
    protos = getattr(wb, "_roster_protos", None)
    if protos is None:
        protos = wb._roster_protos = {
            "text": _cell(ws, None, border=_BORDER, alignment=_TOP),
            "date": _cell(ws, None, border=_BORDER, alignment=_TOP, number_format=DATE_FORMAT),
        }
    return protos


def _data_row(ws, values):
    protos = _prototypes(ws)
    text, date_ = protos["text"]._style, protos["date"]._style
    out = []
    for v in values:
        c = WriteOnlyCell(ws, value=escape(v))
        c._style = copy(date_ if isinstance(v, datetime.date) else text)
        out.append(c)
    ws.append(out)


def _sign(ws, row, ncols):
    ws.append([])
    ws.append([_cell(ws, SIGN_LINE)])
    ws.merged_cells.add(f"A{row + 1}:{get_column_letter(ncols)}{row + 1}")


def _sheet_name(name, used):
    base = "".join("_" if ch in '[]:*?/\\' else ch for ch in name)[:28] or "Sheet"
    candidate, n = base, 2
    while candidate in used:
        candidate, n = f"{base[:25]}({n})", n + 1
    used.add(candidate)
    return candidate


def area_name(req):
    if req.school is not None:
        return req.school.area.name
    names = sorted({s.area.name for s in access.visible(School, req.user).select_related("area")})
    return names[0] if len(names) == 1 else "、".join(names)


def build_workbook(req, *, progress=None):
    """Write the workbook; returns (bytes, row count, schools written)."""
    exporter_name = req.user.display_name if hasattr(req.user, "display_name") else str(req.user)
    exporter = f"导出：{exporter_name}　{timezone.localtime():%Y-%m-%d %H:%M}"
    columns = columns_for(req.kind)
    ncols = len(columns)
    filled_on = timezone.localdate()
    wb = Workbook(write_only=True)
    used = set()
    rows = rows_for(req)
    total = 0
    if req.school is not None:
        ws = wb.create_sheet(_sheet_name(req.school.short_name or req.school.name, used))
        row = _head(ws, title=f"{req.school.name}{req.month_label}{req.kind.label}", unit=req.school.name,
                    filled_on=filled_on, columns=columns, exporter=exporter)
        for _, values in rows:
            _data_row(ws, values)
            row += 1
            total += 1
            if progress and total % 1000 == 0:
                progress(total, 0)
        _sign(ws, row, ncols)
        schools = [req.school]
    else:
        area = area_name(req)
        schools = list(access.visible(School, req.user).select_related("subdistrict").order_by("subdistrict__code",
                                                                                               "code"))
        _summary(wb, req, area=area, schools=schools, used=used, filled_on=filled_on, exporter=exporter)
        by_school = {}
        # rows arrive ordered by school code; write each school's sheet in that order
        sheets = {}
        order = sorted(schools, key=lambda s: s.code)
        for sch in order:
            ws = wb.create_sheet(_sheet_name(sch.short_name or sch.name, used))
            sheets[sch.pk] = [ws, _head(ws, title=f"{sch.name}{req.month_label}{req.kind.label}", unit=sch.name,
                                        filled_on=filled_on, columns=columns, exporter=exporter)]
        other = None
        for school_id, values in rows:
            entry = sheets.get(school_id)
            if entry is None:
                if other is None:
                    ws = wb.create_sheet(_sheet_name("其他学校", used))
                    title = f"{area}{req.month_label}{req.kind.label}（辖区居民在其他学校或无学校）"
                    other = [ws, _head(ws, title=title,
                                       unit=area, filled_on=filled_on, columns=columns, exporter=exporter)]
                entry = other
            values[0] = entry[1] - 4  # 序号 within the sheet
            _data_row(entry[0], values)
            entry[1] += 1
            total += 1
            by_school[school_id] = by_school.get(school_id, 0) + 1
            if progress and total % 1000 == 0:
                progress(total, 0)
        for ws, row in list(sheets.values()) + ([other] if other else []):
            _sign(ws, row, ncols)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), total, schools


def _summary(wb, req, *, area, schools, used, filled_on, exporter):
    """汇总: per 办事处 and school, the count in each category as of the month end, with subtotals and a total."""
    counts = asof.counts_as_of(req.user, req.day)
    cats = SUMMARY_CATEGORIES
    columns = ([("", "序号", 6), ("", "办事处/乡镇", 14), ("", "学校", 20)]
               + [("月末人数", asof.CATEGORIES[c].replace("（本学期）", ""), 9) for c in cats]
               + [("月末人数", "资助", 8), ("", "合计", 8)])
    ws = wb.create_sheet(_sheet_name("汇总", used))
    row = _head(ws, title=f"{area}{req.month_label}控辍保学情况汇总表（{req.kind.label}）", unit=area,
                filled_on=filled_on, columns=columns, exporter=exporter)
    bold = Font(bold=True)
    grand = [0] * (len(cats) + 2)
    n = 0
    for sub, group in itertools.groupby(schools, key=lambda s: s.subdistrict):
        subtotal = [0] * (len(cats) + 2)
        for sch in group:
            n += 1
            figures = [counts.get((sch.pk, c), 0) for c in cats]
            figures += [counts.get((sch.pk, "assisted"), 0), sum(figures)]
            _data_row(ws, [n, sub.name, sch.name] + figures)
            subtotal = [a + b for a, b in zip(subtotal, figures)]
            row += 1
        ws.append([_cell(ws, v, border=_BORDER, font=bold) for v in ["", sub.name, "小计"] + subtotal])
        grand = [a + b for a, b in zip(grand, subtotal)]
        row += 1
    ws.append([_cell(ws, v, border=_BORDER, font=bold) for v in ["", "合计", ""] + grand])
    row += 1
    _sign(ws, row, len(columns))


def file_name(req):
    where = req.school.name if req.school else "全区"
    return f"{where}{req.month_label}{req.kind.label.replace('/', '')}.xlsx"


def parse_month(text):
    """'2026-11' → (2026, 11); a clear Chinese message otherwise."""
    try:
        year, month = (int(p) for p in str(text).strip().split("-"))
        datetime.date(year, month, 1)
    except (TypeError, ValueError):
        raise ExportError(f"月份“{text}”格式不对，应为 YYYY-MM（例如 2026-11）。")
    if datetime.date(year, month, 1) > timezone.localdate():
        raise ExportError(f"月份“{text}”还没有到，不能导出。")
    return year, month
