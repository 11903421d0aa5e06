from django.urls import path

from notices import views

app_name = "notices"

urlpatterns = [
    path("", views.notice_list, name="list"),
    path("batch.pdf", views.notice_batch_pdf, name="batch_pdf"),
    path("issue/<int:case_pk>/", views.notice_issue, name="issue"),
    path("<int:pk>/", views.notice_detail, name="detail"),
    path("<int:pk>/pdf/", views.notice_pdf, name="pdf"),
    path("<int:pk>/serve/", views.notice_serve, name="serve"),
    path("<int:pk>/cancel/", views.notice_cancel, name="cancel"),
    path("<int:pk>/receipt/", views.notice_receipt, name="receipt"),
    path("templates/", views.template_list, name="templates"),
    path("templates/<slug:kind>/edit/", views.template_edit, name="template_edit"),
]
