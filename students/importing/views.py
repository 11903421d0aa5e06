"""Pages of the 学籍导入 (school admin) and 学籍比对 (village / 办事处 / 教育办) screens."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from kongchuo import access
from kongchuo.audit import log_access, mask_id, mask_phone
from kongchuo.models import AccessLog
from kongchuo.xlsx import table_workbook, xlsx_response
from students.models import ImportBatch, PopulationEntry, PopulationList

from . import selectors
from .columns import national_columns
from .forms import ENTRY_STATUS_CHOICES, CommitForm, ExcelUploadForm, VerifyForm
from .population_services import (
    importable_villages, population_entry_verify, population_list_cancel, population_list_commit_start,
    population_list_start,
)
from .services import import_batch_cancel, import_batch_commit_start, import_batch_start

ERRORS_PER_PAGE = 100


def _messages_of(exc):
    if hasattr(exc, "message_dict"):
        return [m for msgs in exc.message_dict.values() for m in msgs]
    return exc.messages


def _page(request, items, per_page):
    return Paginator(items, per_page).get_page(request.GET.get("page"))


def _issues_page(request, record):
    return _page(request, record.errors, ERRORS_PER_PAGE)


def _issue_workbook(record, *, title, scope):
    rows = [(e["row"], e["column"], e["value"], e["message"]) for e in record.errors]
    rows += [(w["row"], w["column"], "", "提示：" + w["message"]) for w in record.warnings]
    info = [f"{scope}  文件：{record.original_name}  上传：{timezone.localtime(record.created):%Y-%m-%d %H:%M}",
            f"共 {record.total_rows} 行；新增 {record.new_count}，更新 {record.updated_count}，"
            f"无变化 {record.unchanged_count}，有错误 {record.invalid_count}（{record.error_rows} 行）"]
    return table_workbook(title=title, headers=["行号", "列", "原值", "问题"], rows=rows, sheet_name="错误明细",
                          info_lines=info, widths=[8, 18, 24, 70])


# ---------------------------------------------------------------------------------------------- 学籍导入
def import_list(request):
    user = request.user
    if access.scope_q(ImportBatch, user) is access.NOTHING:
        raise PermissionDenied
    schools = list(selectors.importable_schools(user))
    form = None
    if schools:
        choices = [(s.pk, s.name) for s in schools]
        form = ExcelUploadForm(request.POST or None, request.FILES or None, choices=choices, choice_label="学校",
                               choice_name="school")
        if request.method == "POST" and form.is_valid():
            school = next(s for s in schools if s.pk == form.cleaned_data.get("school", schools[0].pk))
            try:
                job = import_batch_start(actor=user, school=school, uploaded_file=form.cleaned_data["file"])
            except ValidationError as exc:
                for message in _messages_of(exc):
                    form.add_error("file", message)
            else:
                return redirect("jobs:detail", pk=job.pk)  # the preview runs in the background
    elif request.method == "POST":
        raise PermissionDenied
    page = _page(request, selectors.import_batches(user), 20)
    return render(request, "students/import_list.html", {"form": form, "page": page, "schools": schools})


def import_detail(request, pk):
    batch = access.get_visible_or_404(selectors.import_batches(request.user).defer(None), request.user, pk=pk)
    can_act = batch.is_open and access.can(request.user, "student.import", batch)
    return render(request, "students/import_detail.html", {
        "batch": batch, "issues": _issues_page(request, batch), "warnings": batch.warnings[:200],
        "can_act": can_act, "commit_form": CommitForm(), "details": batch.details,
    })


@require_POST
def import_commit(request, pk):
    batch = access.get_visible_or_404(ImportBatch, request.user, pk=pk)
    if not access.can(request.user, "student.import", batch):
        raise PermissionDenied
    form = CommitForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择导入方式。")
        return redirect("students:import_detail", pk=pk)
    valid_only = form.cleaned_data["mode"] == ImportBatch.Mode.VALID_ONLY
    try:
        job = import_batch_commit_start(actor=request.user, batch=batch, valid_only=valid_only)
    except ValidationError as exc:
        messages.error(request, "；".join(_messages_of(exc)))
        return redirect("students:import_detail", pk=pk)
    return redirect("jobs:detail", pk=job.pk)  # the commit runs in the background; its page goes on to the batch


@require_POST
def import_cancel(request, pk):
    batch = access.get_visible_or_404(ImportBatch, request.user, pk=pk)
    if not access.can(request.user, "student.import", batch):
        raise PermissionDenied
    try:
        import_batch_cancel(actor=request.user, batch=batch)
    except ValidationError as exc:
        messages.error(request, "；".join(_messages_of(exc)))
    else:
        messages.info(request, "已取消，未导入任何数据。")
    return redirect("students:import")


@require_GET
def import_errors(request, pk):
    batch = access.get_visible_or_404(ImportBatch, request.user, pk=pk)
    content = _issue_workbook(batch, title=f"学籍导入错误明细（第 {batch.pk} 批）", scope=f"学校：{batch.school.name}")
    log_access(request=request, action=AccessLog.Action.EXPORT, obj=batch, scope=batch.school.name,
               purpose="学籍导入错误明细", detail=f"{len(batch.errors)} 条错误")
    return xlsx_response(content, f"学籍导入错误明细_第{batch.pk}批.xlsx")


@require_GET
def import_template(request):
    if not access.can(request.user, "student.import"):
        raise PermissionDenied
    content = table_workbook(title="全国中小学生学籍信息（导入模板：列名须与学籍系统导出一致）",
                             headers=national_columns(), rows=[], sheet_name="学生信息")
    return xlsx_response(content, "学籍导入模板.xlsx")


# ---------------------------------------------------------------------------------------------- 学籍比对
def _population_guard(user):
    if not access.can(user, "population.view"):
        raise PermissionDenied


def population_index(request):
    user = request.user
    _population_guard(user)
    villages = list(importable_villages(user))
    form = None
    if villages:
        choices = [(v.pk, f"{v.subdistrict.name} {v.name}") for v in villages]
        form = ExcelUploadForm(request.POST or None, request.FILES or None, choices=choices, choice_label="村/社区",
                               choice_name="village", required_choice=False)
        form.fields["file"].help_text = "村/社区摸排的适龄儿童（6–15 周岁）名单，.xlsx 或 .xls，最大 20 MB"
        if request.method == "POST" and form.is_valid():
            village_pk = form.cleaned_data.get("village")
            village = next((v for v in villages if v.pk == village_pk), None)
            try:
                job = population_list_start(actor=user, uploaded_file=form.cleaned_data["file"], village=village)
            except ValidationError as exc:
                for message in _messages_of(exc):
                    form.add_error("file", message)
            else:
                return redirect("jobs:detail", pk=job.pk)  # matching runs in the background
    elif request.method == "POST":
        raise PermissionDenied
    return render(request, "students/population_index.html", {
        "form": form, "page": _page(request, selectors.population_lists(user), 20),
        "summary": selectors.population_summary(user), "statuses": PopulationEntry.Status.choices,
    })


def population_detail(request, pk):
    record = access.get_visible_or_404(selectors.population_lists(request.user).defer(None), request.user, pk=pk)
    can_act = record.is_open and access.can(request.user, "population.import", record)
    entries = None
    if record.status == PopulationList.Status.COMMITTED:
        entries = _page(request, selectors.population_entries(request.user).filter(population_list=record)
                        .order_by("status", "row_number"), 50)
    return render(request, "students/population_detail.html", {
        "record": record, "issues": _issues_page(request, record), "warnings": record.warnings[:200],
        "can_act": can_act, "commit_form": CommitForm(), "details": record.details, "entries": entries,
    })


@require_POST
def population_commit(request, pk):
    record = access.get_visible_or_404(PopulationList, request.user, pk=pk)
    if not access.can(request.user, "population.import", record):
        raise PermissionDenied
    form = CommitForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择导入方式。")
        return redirect("students:population_detail", pk=pk)
    try:
        job = population_list_commit_start(actor=request.user, record=record,
                                           valid_only=form.cleaned_data["mode"] == PopulationList.Mode.VALID_ONLY)
    except ValidationError as exc:
        messages.error(request, "；".join(_messages_of(exc)))
        return redirect("students:population_detail", pk=pk)
    return redirect("jobs:detail", pk=job.pk)


@require_POST
def population_cancel(request, pk):
    record = access.get_visible_or_404(PopulationList, request.user, pk=pk)
    if not access.can(request.user, "population.import", record):
        raise PermissionDenied
    try:
        population_list_cancel(actor=request.user, record=record)
    except ValidationError as exc:
        messages.error(request, "；".join(_messages_of(exc)))
    else:
        messages.info(request, "已取消，未导入任何数据。")
    return redirect("students:population")


@require_GET
def population_errors(request, pk):
    record = access.get_visible_or_404(PopulationList, request.user, pk=pk)
    content = _issue_workbook(record, title=f"适龄儿童名单错误明细（第 {record.pk} 批）", scope=f"范围：{record.scope_label}")
    log_access(request=request, action=AccessLog.Action.EXPORT, obj=record, scope=record.scope_label,
               purpose="适龄儿童名单错误明细", detail=f"{len(record.errors)} 条错误")
    return xlsx_response(content, f"适龄儿童名单错误明细_第{record.pk}批.xlsx")


def population_candidates(request):
    user = request.user
    _population_guard(user)
    status = request.GET.get("status", PopulationEntry.Status.PENDING)
    if status not in PopulationEntry.Status.values:
        status = ""
    entries = selectors.population_candidates(user, status=status or None)
    page = _page(request, entries, 50)
    for entry in page:
        entry.id_masked, entry.phone_masked = mask_id(entry.id_number), mask_phone(entry.guardian_phone)
    return render(request, "students/population_candidates.html", {
        "page": page, "status": status, "status_choices": ENTRY_STATUS_CHOICES,
    })


def population_entry(request, pk):
    user = request.user
    entry = access.get_visible_or_404(selectors.population_entries(user).select_related(
        "matched_student", "student", "population_list"), user, pk=pk)
    can_verify = (entry.is_candidate and entry.status == PopulationEntry.Status.PENDING
                  and access.can(user, "population.verify", entry))
    form = VerifyForm(request.POST or None) if can_verify else None
    if request.method == "POST":
        if not can_verify:
            raise PermissionDenied
        if form.is_valid():
            try:
                population_entry_verify(actor=user, entry=entry, decision=form.cleaned_data["decision"],
                                        note=form.cleaned_data["note"])
            except ValidationError as exc:
                if hasattr(exc, "message_dict"):
                    for field, msgs in exc.message_dict.items():
                        for message in msgs:
                            form.add_error(field if field in form.fields else None, message)
                else:
                    form.add_error(None, "；".join(exc.messages))
            else:
                messages.success(request, f"已核实：{entry.name}。")
                return redirect(reverse("students:population_candidates") + "?status=")
    entry.id_masked, entry.phone_masked = mask_id(entry.id_number), mask_phone(entry.guardian_phone)
    return render(request, "students/population_entry.html", {"entry": entry, "form": form})
