"""三本台账 (SPEC §4, 2024 national notice): 适龄儿童, 疑似辍学, 辍学 — scoped, filterable, paginated."""
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render

from kongchuo import access
from students.discovery import selectors
from students.discovery.views.term import _without_page
from students.models.discovery import NonReturnEntry

PAGE_SIZE = 50


def ledgers(request):
    if not access.can(request.user, "student.view"):
        raise PermissionDenied
    book = request.GET.get("book", "suspected")
    if book not in selectors.LEDGERS:
        book = "suspected"
    schools, villages = selectors.filter_choices(request.user)
    school = village = None
    if request.GET.get("school", "").isdigit():
        school = schools.filter(pk=int(request.GET["school"])).first()
    if request.GET.get("village", "").isdigit():
        village = villages.filter(pk=int(request.GET["village"])).first()
    q = request.GET.get("q", "").strip()[:50]
    context = {"book": book, "book_label": selectors.LEDGERS[book], "ledgers": selectors.LEDGERS,
               "schools": schools, "villages": villages,
               "school": school, "village": village, "q": q, "querystring": _without_page(request),
               "thresholds": selectors.thresholds_display(), "children_available": True}
    if book == "children":
        if access.can(request.user, "population.view"):
            entries = selectors.ledger_children(request.user, school=school, village=village, q=q)
            context["page"] = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
        else:
            context["children_available"] = False
            context["page"] = None
    else:
        page = Paginator(selectors.ledger_students(request.user, book, school=school, village=village, q=q),
                         PAGE_SIZE).get_page(request.GET.get("page"))
        risks = selectors.risk_for_page(page.object_list)
        whereabouts = dict(NonReturnEntry.Whereabouts.choices)
        context["page"] = page
        context["rows"] = [(s, risks[s.pk], whereabouts.get(s.nonreturn_whereabouts or "", ""))
                           for s in page.object_list]
    return render(request, "students/discovery_ledgers.html", context)
