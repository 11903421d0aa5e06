from django.urls import path

from cases import views

app_name = "cases"

urlpatterns = [
    path("", views.case_list, name="list"),
    path("new/", views.student_search, name="student_search"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/visits/new/", views.visit_new, name="visit_new"),
    path("<int:pk>/<slug:name>/", views.case_action, name="action"),
    path("followups/<int:pk>/done/", views.followup_done, name="followup_done"),
    path("closures/<int:pk>/review/", views.closure_review, name="closure_review"),
    path("closures/<int:pk>/file/", views.closure_file, name="closure_file"),
    path("students/<int:student_pk>/", views.student_hub, name="student"),
    path("students/<int:student_pk>/open/", views.case_open, name="open"),
    path("students/<int:student_pk>/visits/new/", views.student_visit_new, name="student_visit_new"),
    path("students/<int:student_pk>/exemptions/new/", views.exemption_new, name="exemption_new"),
    path("students/<int:student_pk>/homeschool/new/", views.plan_new, name="plan_new"),
    path("students/<int:student_pk>/assistance/new/", views.assistance_new, name="assistance_new"),
    path("visits/", views.visit_list, name="visit_list"),
    path("visits/<int:pk>/", views.visit_detail, name="visit_detail"),
    path("visits/photos/<int:pk>/", views.visit_photo, name="visit_photo"),
    path("exemptions/", views.exemption_list, name="exemption_list"),
    path("exemptions/<int:pk>/", views.exemption_detail, name="exemption_detail"),
    path("exemptions/<int:pk>/<slug:which>/", views.exemption_file, name="exemption_file"),
    path("homeschool/", views.plan_list, name="plan_list"),
    path("homeschool/<int:pk>/", views.plan_detail, name="plan_detail"),
    path("homeschool/<int:pk>/sessions/new/", views.session_new, name="session_new"),
    path("homeschool/photos/<int:pk>/", views.session_photo, name="session_photo"),
    path("assistance/", views.assistance_list, name="assistance_list"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:pk>/", views.inbox_open, name="inbox_open"),
    path("inbox/read-all/", views.inbox_read_all, name="inbox_read_all"),
]
