"""Discovery URLs, included into the `students` namespace (students/urls.py) as students:discovery_*."""
from django.urls import path

from students.discovery import panels  # noqa: F401 - registers the workbench panels
from students.discovery.views import ledgers, rollcall, term

urlpatterns = [
    path("discovery/rollcall/", rollcall.rollcall_index, name="discovery_rollcall"),
    path("discovery/rollcall/<int:pk>/", rollcall.rollcall_class, name="discovery_rollcall_class"),
    path("discovery/absences/student/<int:pk>/", rollcall.absence_entry, name="discovery_absence_entry"),
    path("discovery/absences/<int:pk>/delete/", rollcall.absence_delete, name="discovery_absence_delete"),
    path("discovery/alerts/", rollcall.alert_list, name="discovery_alerts"),
    path("discovery/arrival/", term.arrival_index, name="discovery_arrival"),
    path("discovery/arrival/<int:pk>/", term.arrival_class, name="discovery_arrival_class"),
    path("discovery/term-check/", term.term_check_index, name="discovery_term_check_index"),
    path("discovery/term-check/<int:pk>/", term.term_check, name="discovery_term_check"),
    path("discovery/non-returns/", term.nonreturn_list, name="discovery_nonreturns"),
    path("discovery/non-returns/<int:pk>/", term.nonreturn_edit, name="discovery_nonreturn_edit"),
    path("discovery/ledgers/", ledgers.ledgers, name="discovery_ledgers"),
]
