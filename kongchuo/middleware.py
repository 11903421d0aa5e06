"""Request-wide text hygiene, so no view can forget it (issue 9: `/cases/?q=a%00` was a 500 for every role).

- Query parameters (`request.GET`, keys and values) go through `kongchuo.text.clean` as one line of text: no
  control, bidi or zero-width character reaches a filter, a search or a template, and values are trimmed.
- Posted form data (`request.POST`) loses NUL and the other C0/C1 controls (tab, LF and CR stay): PostgreSQL
  cannot store NUL, and a view reading `request.POST` directly must not 500. Everything else — bidi characters,
  normalisation, lengths — is the form's job (`kongchuo.forms`), which knows each field's kind and label.
Uploaded files are not touched.
"""
from django.http import QueryDict

from kongchuo import text


def _cleaned(query, clean_value):
    cleaned = QueryDict(mutable=True, encoding=query.encoding)
    for key, values in query.lists():
        cleaned.setlist(text.clean(key), [clean_value(v) for v in values])
    cleaned._mutable = False
    return cleaned


def _needs_cleaning(query, test):
    return any(test(key) or any(test(v) for v in values) for key, values in query.lists())


class TextSanitiserMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.GET and _needs_cleaning(request.GET, lambda v: v != text.clean(v)):
            request.GET = _cleaned(request.GET, text.clean)
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method == "POST" and request.content_type in ("application/x-www-form-urlencoded",
                                                                 "multipart/form-data"):
            post = request.POST
            if _needs_cleaning(post, lambda v: v != text.strip_never_valid(v)):
                request.POST = _cleaned(post, text.strip_never_valid)
        return None
