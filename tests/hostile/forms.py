"""Every form class of the project, and a way to build each one without a view (for the rule and corpus tests)."""
import importlib
import inspect
import pkgutil
from types import SimpleNamespace

from django import forms


def _project_apps():
    """Our own apps: those whose code lives in this repository (a new app is checked without being listed)."""
    from django.apps import apps
    from django.conf import settings

    root = str(settings.BASE_DIR)
    return tuple(c.name for c in apps.get_app_configs() if c.path.startswith(root) and ".venv" not in c.path)


PROJECT_APPS = _project_apps()


def _import_all():
    for app in PROJECT_APPS:
        package = importlib.import_module(app)
        for info in pkgutil.walk_packages(package.__path__, app + "."):
            if ".migrations" in info.name or ".management" in info.name or info.name.endswith((".settings", ".wsgi", ".asgi")):
                continue
            importlib.import_module(info.name)


def project_form_classes():
    """Every concrete form class defined in the project's packages (found by walking the subclasses of BaseForm
    after importing every module, so a new form is checked without being listed here)."""
    _import_all()
    found, todo = set(), [forms.BaseForm]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            todo.append(sub)
            if sub.__module__.split(".")[0] in PROJECT_APPS and (sub.base_fields or not sub.__subclasses__()):
                found.add(sub)
    return sorted(found, key=lambda c: f"{c.__module__}.{c.__name__}")


def constructor_kwargs():
    """Keyword arguments the project's forms take, with harmless values (querysets of all rows)."""
    from kongchuo.models import School, SchoolClass, Term, User, Village
    from students.models import FamilyMember

    users = User.objects.all()
    return {
        "classes": SchoolClass.objects.all(), "villages": Village.objects.all(), "schools": School.objects.all(),
        "kinds": ["transfer_out"], "teachers": users, "leaders": users, "colleagues": users, "candidates": list(users),
        "student_choices": [(1, "一")], "grades": [], "moves": (), "terms": Term.objects.all(),
        "guardians": list(FamilyMember.objects.all()[:1]), "case": SimpleNamespace(dropout_date=None),
        "plan": SimpleNamespace(teachers=users, session_minutes=90), "choices": [(1, "一"), (2, "二")], "choice_label": "学校",
        "user": users.filter(role_assignments__isnull=False).first() or users.first(),
    }


def build(form_class, data=None, files=None):
    """An instance of `form_class` (bound to `data` when given)."""
    from kongchuo.models import User

    from django.contrib.auth.forms import SetPasswordForm

    params = {}
    for klass in reversed(form_class.__mro__):
        if "__init__" in vars(klass):
            params.update(inspect.signature(vars(klass)["__init__"]).parameters)
    available = constructor_kwargs()
    kwargs = {name: available[name] for name, p in params.items()
              if name in available and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
              and (p.default is p.empty or name in ("colleagues", "candidates", "moves", "plan", "choices", "choice_label"))}
    args = []
    if issubclass(form_class, SetPasswordForm):  # Django's password forms take the user first
        kwargs.pop("user", None)
        args.append(User.objects.first())
    if "request" in params:
        kwargs["request"] = None
    if data is not None:
        kwargs["data"] = data
        kwargs["files"] = files or {}
    return form_class(*args, **kwargs)
