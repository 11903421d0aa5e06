"""Admin (read-only) for import records; registered from students/importing/urls.py (loaded with the URLconf)."""
from django.contrib import admin
from kongchuo.admin import ReadOnlyHistoryAdmin as ReadOnlyAdmin  # imports are made on the import pages

from students.models import ImportBatch, PopulationEntry, PopulationList


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnlyAdmin):
    list_display = ("created", "school", "original_name", "status", "source", "new_count", "updated_count",
                    "unchanged_count", "invalid_count", "uploaded_by")
    list_filter = ("status", "source", "school")
    search_fields = ("original_name", "sha256")
    exclude = ("file",)


@admin.register(PopulationList)
class PopulationListAdmin(ReadOnlyAdmin):
    list_display = ("created", "area", "subdistrict", "village", "original_name", "status", "new_count",
                    "invalid_count", "uploaded_by")
    list_filter = ("status", "source", "village")
    exclude = ("file",)


@admin.register(PopulationEntry)
class PopulationEntryAdmin(ReadOnlyAdmin):
    list_display = ("name", "village", "birth_date", "match", "candidate_kind", "status", "verified_by")
    list_filter = ("status", "candidate_kind", "match", "village")
    search_fields = ("name",)
    raw_id_fields = ("matched_student", "student", "population_list")
