from django.urls import path

from staff import views

app_name = "staff"
urlpatterns = [
    path("", views.staff_list, name="list"),
    path("add/", views.staff_add, name="add"),
    path("<int:pk>/", views.staff_detail, name="detail"),
    path("<int:pk>/grant/", views.staff_grant, name="grant"),
    path("<int:pk>/roles/<int:assignment_pk>/end/", views.staff_end_role, name="end_role"),
    path("<int:pk>/reset/", views.staff_reset, name="reset"),
    path("<int:pk>/end/", views.staff_end, name="end"),
    path("slips/", views.staff_slips, name="slips"),
    path("dormant/", views.dormant, name="dormant"),
    path("import/", views.staff_import, name="import"),
    path("import/<int:pk>/", views.staff_import_detail, name="import_detail"),
    path("import/<int:pk>/commit/", views.staff_import_commit, name="import_commit"),
    path("import/credentials/<int:job_pk>/", views.staff_import_credentials, name="import_credentials"),
    path("import/<int:pk>/cancel/", views.staff_import_cancel, name="import_cancel"),
    path("setup/", views.checklist, name="checklist"),
    path("setup/org-import/", views.org_import, name="org_import"),
    path("setup/org-import/<int:pk>/", views.org_import_detail, name="org_import_detail"),
    path("first-password/", views.first_password, name="first_password"),
    path("password-help/", views.password_help, name="password_help"),
]
