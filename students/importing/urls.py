"""URL paths of the import screens; students/urls.py appends them (app_name "students")."""
from django.urls import path

from . import admin, panels, views  # noqa: F401 - admin and panels register themselves

urlpatterns = [
    path("import/", views.import_list, name="import"),
    path("import/template.xlsx", views.import_template, name="import_template"),
    path("import/<int:pk>/", views.import_detail, name="import_detail"),
    path("import/<int:pk>/commit/", views.import_commit, name="import_commit"),
    path("import/<int:pk>/cancel/", views.import_cancel, name="import_cancel"),
    path("import/<int:pk>/errors.xlsx", views.import_errors, name="import_errors"),
    path("population/", views.population_index, name="population"),
    path("population/candidates/", views.population_candidates, name="population_candidates"),
    path("population/entries/<int:pk>/", views.population_entry, name="population_entry"),
    path("population/<int:pk>/", views.population_detail, name="population_detail"),
    path("population/<int:pk>/commit/", views.population_commit, name="population_commit"),
    path("population/<int:pk>/cancel/", views.population_cancel, name="population_cancel"),
    path("population/<int:pk>/errors.xlsx", views.population_errors, name="population_errors"),
]
