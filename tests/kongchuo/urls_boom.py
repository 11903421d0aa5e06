"""The project's URLconf plus one view that fails, to test the 500 page's headers."""
from django.urls import path

from kongchuo.urls import handler403, handler404, handler500, urlpatterns as project_urlpatterns  # noqa: F401


def boom(request):
    raise RuntimeError("boom")


urlpatterns = [*project_urlpatterns, path("boom/", boom)]
