"""Which models hold children's personal data (issue 9, "Roles that see too much").

Every model of our apps, and every model registered in the Django admin, is classified here:

  PERSONAL   — children's data (students, families, cases, visits, exemptions, notices, imports…). Seen only
               through the app's scoped pages (kongchuo.access); never registered in the admin, which is for the
               configuration role 系统管理员 (check `kongchuo.E010`).
  NO_CHILD_DATA — configuration, staff accounts and audit records (org tree, accounts, roles, calendar, code
               lists, notice wording, numbering counters, the access log, login security).

Apps classify their own models in a `privacy.py` module (found by `autodiscover`, so kongchuo imports no app);
third-party models shown in the admin are classified below. A model nobody classified is reported by
`tests/kongchuo/test_admin_privacy.py`, so a new model cannot slip into the admin unexamined. Historical models
(django-simple-history) follow the model they record, m2m tables the model declaring them.
"""
from django.utils.module_loading import autodiscover_modules

PERSONAL = "personal"
NO_CHILD_DATA = "no_child_data"

_REGISTRY: dict[str, str] = {}


def _register(kind, labels):
    for label in labels:
        previous = _REGISTRY.get(label)
        if previous not in (None, kind):
            raise ValueError(f"{label} classified twice ({previous}, {kind})")
        _REGISTRY[label] = kind


def personal(*labels):
    """Mark models ("app.Model") as holding children's personal data."""
    _register(PERSONAL, labels)


def no_child_data(*labels):
    """Mark models as configuration / staff / audit data without children's data."""
    _register(NO_CHILD_DATA, labels)


def classification(model):
    """PERSONAL, NO_CHILD_DATA or None (not classified) for a model class."""
    instance_type = getattr(model, "instance_type", None)  # simple-history's HistoricalX → X
    if isinstance(instance_type, type) and hasattr(model, "history_id"):
        model = instance_type
    if model._meta.auto_created:  # an m2m's through table follows the model declaring the m2m
        model = model._meta.auto_created
    return _REGISTRY.get(model._meta.label)


def is_personal(model):
    return classification(model) == PERSONAL


def autodiscover():
    autodiscover_modules("privacy")


# Third-party models the admin shows (Django auth, django-axes): staff accounts and login security.
no_child_data("auth.Group", "axes.AccessAttempt", "axes.AccessFailureLog", "axes.AccessLog")
# kongchuo's own: the organisation tree, staff accounts and roles, the working calendar, the access log (who looked
# at what, by object id — 系统管理员 and 教育办 read it at /audit/).
no_child_data(
    "kongchuo.User", "kongchuo.RoleAssignment", "kongchuo.AccessLog", "kongchuo.CalendarException", "kongchuo.Area",
    "kongchuo.EducationOffice", "kongchuo.SubDistrict", "kongchuo.Village", "kongchuo.School", "kongchuo.SchoolYear",
    "kongchuo.Term", "kongchuo.Grade", "kongchuo.SchoolClass", "kongchuo.LeadershipGroup", "kongchuo.LeadershipMember",
)
# The job layer: kind, requester, status, counters and a Chinese message; result files are never linked from the
# admin (only the requester downloads them, through the scoped job page). The queue's own rows carry a job id only.
no_child_data("kongchuo.Job", "django_tasks_database.DBTaskResult")
