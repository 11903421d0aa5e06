"""我的工作台 panels: the latest 学籍导入 (school admins) and the 学籍比对 candidates waiting for 核实."""
from kongchuo import access
from kongchuo.workbench import register_panel

from . import selectors


@register_panel(order=16)
def import_panel(request):
    user = request.user
    if not access.can(user, "student.import"):
        return None
    latest = selectors.import_batches(user).first()
    return {"title": "学籍导入", "template": "students/import_panel.html", "latest": latest}


@register_panel(order=17)
def population_panel(request):
    user = request.user
    if not access.can(user, "population.view"):
        return None
    summary = selectors.population_summary(user)
    return {"title": "学籍比对", "template": "students/population_panel.html", "summary": summary,
            "can_import": access.can(user, "population.import")}
