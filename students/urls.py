from django.urls import path

from students import panels  # noqa: F401 - registers the 我的工作台 panel
from students.views import care, family, flags, status, students

app_name = "students"

urlpatterns = [
    # registry (students/views/)
    path("", students.student_list, name="list"),
    path("new/", students.student_create, name="create"),
    path("transfer-in/", students.transfer_in, name="transfer_in"),
    path("<int:pk>/", students.student_detail, name="detail"),
    path("<int:pk>/edit/", students.student_edit, name="edit"),
    path("<int:pk>/unmask/", students.student_unmask, name="unmask"),
    path("<int:pk>/family/add/", family.family_add, name="family_add"),
    path("<int:pk>/family/<int:member_pk>/edit/", family.family_edit, name="family_edit"),
    path("<int:pk>/family/<int:member_pk>/remove/", family.family_remove, name="family_remove"),
    path("<int:pk>/flags/add/", flags.flag_add, name="flag_add"),
    path("<int:pk>/flags/<int:flag_pk>/end/", flags.flag_end, name="flag_end"),
    path("<int:pk>/status/", status.status_change, name="status_change"),
    path("<int:pk>/status/<int:change_pk>/confirm/", status.transfer_confirm, name="transfer_confirm"),
    path("documents/<int:doc_pk>/", status.document_download, name="document"),
    path("<int:pk>/care/", care.care_assign, name="care_assign"),
    path("<int:pk>/care/<int:care_pk>/end/", care.care_end, name="care_end"),
    path("care/bulk/", care.care_bulk, name="care_bulk"),
    path("schools/<int:school_pk>/unassigned/", care.school_unassigned, name="school_unassigned"),
    path("schools/<int:school_pk>/priority/", care.school_priority, name="school_priority"),
    path("schools/<int:school_pk>/chain/", care.school_chain, name="school_chain"),
    # other parts of issue 3 add their paths below (importing/, discovery/)
]

# discovery (点名, 未返校, 三本台账): students:discovery_* (students/discovery/urls.py)
from students.discovery.urls import urlpatterns as discovery_urlpatterns  # noqa: E402

urlpatterns += discovery_urlpatterns

# importer (学籍导入, 学籍比对): students:import*, students:population* (students/importing/urls.py)
from students.importing.urls import urlpatterns as importing_urlpatterns  # noqa: E402

urlpatterns += importing_urlpatterns
