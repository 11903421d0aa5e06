from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from kongchuo import views
from kongchuo.forms import LoginForm, PasswordChangeForm

admin.site.site_header = "控辍保学平台 系统管理"
admin.site.site_title = "控辍保学平台"
admin.site.index_title = "系统配置"

org_patterns = ([
    path("schools/", views.school_list, name="schools"),
    path("schools/<int:pk>/", views.school_detail, name="school_detail"),
    path("schools/<int:pk>/work-plan/", views.school_work_plan, name="school_work_plan"),
], "org")

audit_patterns = ([
    path("", views.audit_list, name="list"),
], "audit")

urlpatterns = [
    path("", views.workbench, name="workbench"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(authentication_form=LoginForm, redirect_authenticated_user=True),
         name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(form_class=PasswordChangeForm), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("org/", include(org_patterns)),
    path("audit/", include(audit_patterns)),
    path("jobs/", include("kongchuo.jobs.urls")),
    path("students/", include("students.urls")),
    path("cases/", include("cases.urls")),
    path("notices/", include("notices.urls")),
    path("reports/", include("reports.urls")),
    path("staff/", include("staff.urls")),  # go-live: staff accounts, import, first password, password help
    path("admin/", admin.site.urls),
]

# Uploads (proofs, photos, receipts) are personal data: they are served only through scoped views,
# never from MEDIA_URL, not even in development.

handler403 = "kongchuo.views.error_403"
handler404 = "kongchuo.views.error_404"
handler500 = "kongchuo.views.error_500"
