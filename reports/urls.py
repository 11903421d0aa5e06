from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("rosters/", views.roster_export_view, name="rosters"),
]
