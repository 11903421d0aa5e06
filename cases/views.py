from django.shortcuts import render

from cases.models import Case
from kongchuo import access


def case_list(request):
    cases = Case.objects.visible_to(request.user).alive().select_related("student", "owner")[:100]
    return render(request, "cases/case_list.html", {"cases": cases})


def case_detail(request, pk):
    case = access.get_visible_or_404(Case.objects.alive().select_related("student", "owner"), request.user, pk=pk)
    return render(request, "cases/case_detail.html", {"case": case})
