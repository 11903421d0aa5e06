"""Pages of the go-live: staff lists and account pages for school admins and the 教育办, the staff import, the
first-login password change, the "忘记密码" helper on the login page, dormant accounts and the set-up checklist.
Views parse input, call one service or selector, render; scope comes from kongchuo.access."""
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from kongchuo import access
from kongchuo.audit import mask_phone
from kongchuo.models import Role, RoleAssignment
from staff import import_services, selectors, services
from staff.forms import (
    EndAccountForm, FirstPasswordForm, ImportCommitForm, RoleGrantForm, StaffAddForm, StaffUploadForm,
)
from staff.models import StaffImport
from staff.slips import slips_pdf


def _errors(exc):
    if hasattr(exc, "message_dict"):
        return [m for msgs in exc.message_dict.values() for m in msgs]
    return exc.messages


def _require(user, action):
    if not access.can(user, action):
        raise PermissionDenied


# ---------------------------------------------------------------- first login / forgotten password
def first_password(request):
    form = FirstPasswordForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)
        services.account_password_changed(user=user)
        from staff.middleware import SESSION_KEY

        request.session.pop(SESSION_KEY, None)
        messages.success(request, "密码已修改，请牢记新密码。")
        return redirect("workbench")
    return render(request, "staff/first_password.html", {"form": form})


@login_not_required
def password_help(request):
    from staff import sms_services
    from staff.passwords import sms_configured

    username = (request.GET.get("username") or request.POST.get("username") or "").replace("\x00", "")[:150]
    context = {"username": username, "asked": bool(username), "sms": sms_configured(), "sms_errors": []}
    if request.method == "POST" and context["sms"]:
        try:
            if request.POST.get("step") == "send":
                messages.info(request, sms_services.sms_code_send(username=username))
                context["code_sent"] = True
            else:
                if request.POST.get("new_password1") != request.POST.get("new_password2"):
                    raise ValidationError({"new_password2": "两次输入的新密码不一致。"})
                sms_services.sms_code_reset(username=username, code=request.POST.get("code", "")[:10],
                                            new_password=request.POST.get("new_password1", ""))
                messages.success(request, "密码已重置，请用新密码登录。")
                return redirect("login")
        except ValidationError as exc:
            context["sms_errors"] = _errors(exc)
            context["code_sent"] = request.POST.get("step") != "send"
    context["helpers"] = selectors.helpers_for(username) if username else []
    return render(request, "staff/password_help.html", context)


# ---------------------------------------------------------------- staff lists and accounts
def staff_list(request):
    _require(request.user, "staff.manage")
    schools = list(access.managed_schools(request.user))
    areas = list(access.managed_areas(request.user))
    key = request.GET.get("school", "")
    school = area = None
    if key == "area" and areas:
        area = areas[0]
        accounts = selectors.area_accounts(request.user, area)
    else:
        school = next((s for s in schools if str(s.pk) == key), schools[0] if schools else None)
        if school is None:
            raise PermissionDenied
        accounts = selectors.school_accounts(request.user, school)
    query = request.GET.get("q", "").replace("\x00", "").strip()[:50]
    if query:
        from django.db.models import Q

        accounts = accounts.filter(Q(real_name__icontains=query) | Q(username__icontains=query)
                                   | Q(phone__icontains=query))
    return render(request, "staff/staff_list.html", {
        "schools": schools, "areas": areas, "school": school, "area": area, "accounts": accounts, "q": query})


def staff_add(request):
    _require(request.user, "staff.manage")
    schools = list(access.managed_schools(request.user))
    school = next((s for s in schools if str(s.pk) == request.GET.get("school", "")), schools[0] if schools else None)
    options = selectors.grant_options(request.user, school)
    form = StaffAddForm(request.POST or None, options=options)
    if request.method == "POST" and form.is_valid():
        try:
            roles = [selectors.parse_option(v) for v in form.cleaned_data["roles"]]
            school_roles = {Role.TEACHER, Role.HEAD_TEACHER, Role.GRADE_LEADER, Role.SCHOOL_ADMIN}
            home = school if any(role in school_roles for role, _ in roles) else None
            area = home.area if home else next((o for r, o in roles if r in (Role.OFFICE_STAFF, Role.LEADERSHIP)),
                                               None) or next(iter(access.managed_areas(request.user)), None)
            user, password = services.staff_create(
                actor=request.user, real_name=form.cleaned_data["real_name"], phone=form.cleaned_data["phone"],
                id_number=form.cleaned_data["id_number"], school=home, area=area, post=form.cleaned_data["post"],
                roles=roles)
        except (ValidationError, ValueError, PermissionDenied) as exc:
            for message in (_errors(exc) if isinstance(exc, ValidationError) else [str(exc)]):
                form.add_error(None, message)
        else:
            return _credentials_page(request, [{"user": user, "password": password, "school": school,
                                                "roles": [str(a) for a in user.role_assignments.filter(
                                                    is_active=True)]}], title="新建账号")
    return render(request, "staff/staff_add.html", {"form": form, "school": school, "schools": schools})


def _credentials_page(request, credentials, *, title):
    """The one-time passwords, shown once (never stored in plain text); the slip PDF is produced from this page."""
    rows = [{"user": c["user"], "password": c["password"], "school": c.get("school") or "",
             "roles": "、".join(c.get("roles") or [])} for c in credentials]
    response = render(request, "staff/credentials.html", {"rows": rows, "title": title})
    response["Cache-Control"] = "no-store"
    return response


def staff_detail(request, pk):
    _require(request.user, "staff.manage")
    target = selectors.managed_account_or_404(request.user, pk)
    profile = services.profile_of(target)
    school = profile.school
    if school is None:
        first = RoleAssignment.objects.filter(user=target, is_active=True, school__isnull=False).first()
        school = first.school if first else None
    options = selectors.grant_options(request.user, school)
    roles = RoleAssignment.objects.filter(user=target).select_related(
        "school", "grade__school", "school_class__grade", "subdistrict", "village", "area").order_by("-is_active", "pk")
    return render(request, "staff/staff_detail.html", {
        "target": target, "profile": profile, "roles": roles, "grant_form": RoleGrantForm(options=options),
        "end_form": EndAccountForm(), "history": selectors.login_history(target),
        "phone": mask_phone(target.phone)})


@require_POST
def staff_grant(request, pk):
    _require(request.user, "staff.manage")
    target = selectors.managed_account_or_404(request.user, pk)
    try:
        role, obj = selectors.parse_option(request.POST.get("role"))
        services.role_grant(actor=request.user, user=target, role=role, scope_obj=obj)
    except ValueError as exc:
        messages.error(request, f"授予角色：{exc}")
    except ValidationError as exc:
        messages.error(request, "；".join(_errors(exc)))
    except PermissionDenied as exc:
        messages.error(request, str(exc) or "超出您的管理范围。")
    else:
        messages.success(request, f"已授予：{role.label}（{obj}）")
    return redirect("staff:detail", pk=target.pk)


@require_POST
def staff_end_role(request, pk, assignment_pk):
    _require(request.user, "staff.manage")
    target = selectors.managed_account_or_404(request.user, pk)
    assignment = RoleAssignment.objects.filter(pk=assignment_pk if str(assignment_pk).isdigit() else 0,
                                               user=target).first()
    if assignment is None:
        raise Http404("未找到")
    try:
        services.role_end(actor=request.user, assignment=assignment, reason=request.POST.get("reason", "")[:100])
    except ValidationError as exc:
        messages.error(request, "；".join(_errors(exc)))
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已结束：{assignment.get_role_display()}（{assignment.scope_object}）")
    return redirect("staff:detail", pk=target.pk)


@require_POST
def staff_reset(request, pk):
    _require(request.user, "staff.manage")
    target = selectors.managed_account_or_404(request.user, pk)
    try:
        password = services.account_reset_password(actor=request.user, user=target)
    except ValidationError as exc:
        messages.error(request, "；".join(_errors(exc)))
        return redirect("staff:detail", pk=target.pk)
    profile = services.profile_of(target)
    return _credentials_page(request, [{"user": target, "password": password, "school": profile.school,
                                        "roles": [str(a) for a in target.role_assignments.filter(is_active=True)]}],
                             title="重置密码")


@require_POST
def staff_end(request, pk):
    _require(request.user, "staff.manage")
    target = selectors.managed_account_or_404(request.user, pk)
    form = EndAccountForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写停用原因。")
        return redirect("staff:detail", pk=target.pk)
    try:
        result = services.account_end(actor=request.user, user=target, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        messages.error(request, "；".join(_errors(exc)))
    else:
        messages.success(request, f"{target.display_name} 的账号已停用：{len(result['students'])} 名包保学生转入未包保名单，"
                                  f"{len(result['cases'])} 件个案已转交。")
    return redirect("staff:detail", pk=target.pk)


@require_POST
def staff_slips(request):
    """账号开通单 PDF of the accounts on the credentials page (the passwords come back from that page only)."""
    _require(request.user, "staff.manage")
    entries = []
    for pk, password in zip(request.POST.getlist("user"), request.POST.getlist("password")):
        target = selectors.managed_account_or_404(request.user, pk)
        profile = services.profile_of(target)
        if not profile.must_change_password:
            continue  # already used: a slip would print a dead password
        entries.append({"name": target.display_name, "school": str(profile.school or ""),
                        "roles": "、".join(str(a.get_role_display()) + f"（{a.scope_object}）"
                                          for a in target.role_assignments.filter(is_active=True)),
                        "username": target.username, "password": password[:64]})
    if not entries:
        messages.error(request, "没有可以打印的账号开通单（初始密码已被使用或已失效）。")
        return redirect("staff:list")
    pdf = slips_pdf(entries, login_url=request.build_absolute_uri(reverse("login")),
                    issued_by=request.user.display_name)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = "attachment; filename=\"slips.pdf\"; filename*=UTF-8''%E8%B4%A6%E5%8F%B7%E5%BC%80%E9%80%9A%E5%8D%95.pdf"
    response["Cache-Control"] = "no-store"
    return response


def dormant(request):
    _require(request.user, "staff.manage")
    return render(request, "staff/dormant.html", {"accounts": selectors.dormant_accounts(request.user),
                                                  "cutoff": selectors.dormant_cutoff()})


# ---------------------------------------------------------------- import
def _upload_choices(user):
    choices = [(f"area:{a.pk}", f"全区名单（{a.name}，按“学校”列区分）") for a in access.managed_areas(user)]
    choices += [(f"school:{s.pk}", s.name) for s in access.managed_schools(user)]
    return choices


def staff_import(request):
    _require(request.user, "staff.import")
    form = StaffUploadForm(request.POST or None, request.FILES or None, choices=_upload_choices(request.user))
    if request.method == "POST" and form.is_valid():
        kind, _, pk = form.cleaned_data["target"].partition(":")
        if kind == "school":
            school = access.managed_schools(request.user).filter(pk=pk).first()
            area = school.area if school else None
        else:
            school, area = None, access.managed_areas(request.user).filter(pk=pk).first()
        if area is None:
            raise PermissionDenied
        try:
            job = import_services.staff_import_start(actor=request.user, area=area, school=school,
                                                     uploaded_file=form.cleaned_data["file"])
        except ValidationError as exc:
            for message in _errors(exc):
                form.add_error("file", message)
        else:
            return redirect("jobs:detail", pk=job.pk)  # the preview runs in the background
    records = StaffImport.objects.visible_to(request.user).select_related("school", "area")[:20]
    return render(request, "staff/import.html", {"form": form, "records": records})


def _record_or_404(user, pk):
    return access.get_visible_or_404(StaffImport.objects.select_related("school", "area"), user, pk=pk)


def staff_import_detail(request, pk):
    _require(request.user, "staff.import")
    record = _record_or_404(request.user, pk)
    return render(request, "staff/import_detail.html", {"record": record, "commit_form": ImportCommitForm(),
                                                        "rows": (record.details or {}).get("rows", [])})


@require_POST
def staff_import_commit(request, pk):
    _require(request.user, "staff.import")
    record = _record_or_404(request.user, pk)
    form = ImportCommitForm(request.POST)
    form.is_valid()
    try:
        job = import_services.staff_import_commit_start(
            actor=request.user, record=record, valid_only=form.cleaned_data.get("valid_only", False))
    except ValidationError as exc:
        messages.error(request, "；".join(_errors(exc)))
        return redirect("staff:import_detail", pk=record.pk)
    return redirect("jobs:detail", pk=job.pk)  # the commit runs in the background; its page goes on to the passwords


def staff_import_credentials(request, job_pk):
    """The one-time passwords of the accounts a commit job created, shown once to the job's requester."""
    from kongchuo.models import Job

    _require(request.user, "staff.import")
    job = Job.objects.filter(pk=job_pk, requester=request.user, kind=import_services.STAFF_COMMIT_JOB).first()
    if job is None:
        raise Http404("未找到")
    credentials = import_services.staff_credentials_take(actor=request.user, job=job)
    record_pk = (job.result or {}).get("record")
    if not credentials:
        messages.error(request, "这些一次性初始密码已显示过（或已过期），平台不再保存。如需新密码，请在教职工账号页为本人重置密码。")
        return redirect("staff:import_detail", pk=record_pk) if record_pk else redirect("staff:list")
    return _credentials_page(request, credentials, title=f"名单导入：新建账号 {len(credentials)} 个")


@require_POST
def staff_import_cancel(request, pk):
    _require(request.user, "staff.import")
    record = _record_or_404(request.user, pk)
    try:
        import_services.staff_import_cancel(actor=request.user, record=record)
    except ValidationError as exc:
        messages.error(request, "；".join(_errors(exc)))
    return redirect("staff:import_detail", pk=record.pk)


# ---------------------------------------------------------------- 学校名录 / 村（社区）名录
def org_import(request):
    from staff.forms import OrgUploadForm
    from staff.models import OrgImport

    _require(request.user, "org.import")
    areas = list(access.org_import_areas(request.user))
    form = OrgUploadForm(request.POST or None, request.FILES or None, areas=areas)
    if request.method == "POST" and form.is_valid():
        area = next(a for a in areas if str(a.pk) == form.cleaned_data["area"])
        try:
            job = import_services.org_import_start(actor=request.user, area=area, kind=form.cleaned_data["kind"],
                                                   uploaded_file=form.cleaned_data["file"])
        except ValidationError as exc:
            for message in _errors(exc):
                form.add_error("file", message)
        else:
            return redirect("jobs:detail", pk=job.pk)  # the preview runs in the background
    records = OrgImport.objects.visible_to(request.user)[:20]
    return render(request, "staff/org_import.html", {"form": form, "records": records})


def org_import_detail(request, pk):
    from staff.models import OrgImport

    _require(request.user, "org.import")
    record = access.get_visible_or_404(OrgImport, request.user, pk=pk)
    if request.method == "POST":
        form = ImportCommitForm(request.POST)
        form.is_valid()
        try:
            job = import_services.org_import_commit_start(
                actor=request.user, record=record, valid_only=form.cleaned_data.get("valid_only", False))
        except ValidationError as exc:
            messages.error(request, "；".join(_errors(exc)))
        else:
            return redirect("jobs:detail", pk=job.pk)  # the commit runs in the background
        return redirect("staff:org_import_detail", pk=record.pk)
    return render(request, "staff/org_import_detail.html", {"record": record, "commit_form": ImportCommitForm()})


# ---------------------------------------------------------------- set-up checklist
def checklist(request):
    _require(request.user, "setup.view")
    from staff.checklist import setup_checklist

    return render(request, "staff/checklist.html", {"items": setup_checklist(request.user)})
