"""Admin: configuration only (tier deadlines). Case data — cases, events, visits, exemptions, 送教, assistance,
closures, notifications — is children's personal data (cases/privacy.py) and lives only on the app's scoped pages,
never in the admin of the configuration role (kongchuo.privacy, check kongchuo.E010)."""
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from cases.models import TierPolicy


@admin.register(TierPolicy)
class TierPolicyAdmin(SimpleHistoryAdmin):
    list_display = ("stage", "deadline_workdays", "auto_escalate")
    list_editable = ("deadline_workdays", "auto_escalate")
