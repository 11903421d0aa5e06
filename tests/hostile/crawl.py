"""A small crawler for the hostile-request tests: follows the links a persona sees, records which query
parameters each view reads, and lists the POST forms each page shows with their default values."""
from collections import deque
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit

from django.http import QueryDict
from django.urls import Resolver404, resolve

SKIP_PREFIXES = ("/accounts/logout/", "/admin/", "/static/", "/media/")
DOWNLOAD_SUFFIXES = (".pdf", ".xlsx", "/pdf/", "/file/", "/assessment/", "/application/")


class PageParser(HTMLParser):
    """Links, GET-form field names and POST forms (action, fields with their default values) of one page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links, self.get_names, self.forms = [], set(), []
        self._form = self._select = self._textarea = self._label_for = None
        self.labels = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self._form = {"method": (a.get("method") or "get").lower(), "action": a.get("action") or "",
                          "fields": {}, "kinds": {}}
            self.forms.append(self._form)
        elif tag == "label" and a.get("for"):
            self._label_for = a["for"]
            self.labels.setdefault(self._label_for, "")
        elif self._form is not None and tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            name, value = a["name"], a.get("value", "")
            self._form["kinds"].setdefault(name, kind)
            if kind in ("checkbox", "radio"):
                if "checked" in a or (kind == "radio" and name not in self._form["fields"]):
                    self._form["fields"].setdefault(name, [])
                    if "checked" in a and kind == "radio":
                        self._form["fields"][name] = [value]
                    elif not self._form["fields"][name] or kind == "checkbox":
                        self._form["fields"][name].append(value)
            elif kind not in ("submit", "button", "file", "image", "reset"):
                self._form["fields"][name] = [value]
        elif self._form is not None and tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self._form["fields"][self._textarea] = [""]
            self._form["kinds"][self._textarea] = "textarea"
        elif self._form is not None and tag == "select" and a.get("name"):
            self._select = {"name": a["name"], "first": None, "selected": []}
            self._form["kinds"][a["name"]] = "select"
        elif self._select is not None and tag == "option":
            value = a.get("value", "")
            if self._select["first"] is None and value:
                self._select["first"] = value
            if "selected" in a:
                self._select["selected"].append(value)

    def handle_data(self, data):
        if self._textarea and self._form is not None:
            self._form["fields"][self._textarea][0] += data
        if self._label_for:
            self.labels[self._label_for] += data

    def handle_endtag(self, tag):
        if tag == "form" and self._form is not None:
            if self._form["method"] == "get":
                self.get_names.update(self._form["fields"])
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "label":
            self._label_for = None
        elif tag == "select" and self._select is not None and self._form is not None:
            chosen = self._select["selected"] or ([self._select["first"]] if self._select["first"] else [])
            self._form["fields"][self._select["name"]] = chosen
            self._select = None


def parse(html):
    parser = PageParser()
    parser.feed(html)
    return parser


def view_name(path):
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.view_name


class ReadRecorder:
    """Records the keys a request's views read from any QueryDict (get, getlist, [], in)."""

    def __init__(self, monkeypatch):
        self.keys = set()
        recorder = self
        for method in ("get", "getlist", "__getitem__", "__contains__"):
            original = getattr(QueryDict, method)

            def wrapped(self, key, *args, _original=original, **kwargs):
                recorder.keys.add(key)
                return _original(self, key, *args, **kwargs)

            monkeypatch.setattr(QueryDict, method, wrapped)


def spider(client, *, start="/", limit=400, per_view=2):
    """Breadth-first over same-site links. Returns {url: (status, view_name, parsed page or None)}."""
    seen, per, queue, out = set(), {}, deque([start]), {}
    while queue and len(out) < limit:
        url = queue.popleft()
        parts = urlsplit(url)
        if parts.netloc or not parts.path.startswith("/") or parts.path.startswith(SKIP_PREFIXES):
            continue
        key = (parts.path, tuple(sorted(k for k, _ in parse_qsl(parts.query))))
        name = view_name(parts.path)
        if key in seen or name is None or per.get(name, 0) >= per_view:
            continue
        seen.add(key)
        per[name] = per.get(name, 0) + 1
        response = client.get(url)
        page = None
        if response.status_code == 200 and response.get("Content-Type", "").startswith("text/html"):
            page = parse(response.content.decode())
            for link in page.links:
                if link.startswith("?"):
                    link = parts.path + link
                if link.startswith("/"):
                    queue.append(link.split("#")[0])
        out[url] = (response.status_code, name, page)
    return out


def with_param(url, name, value):
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != name] + [(name, value)]
    return f"{parts.path}?{urlencode(query)}"


def form_data(form, fill):
    """The form's default values, each text-like field (text, search, tel, email, textarea, no type) set to
    `fill`."""
    data = {}
    for name, values in form["fields"].items():
        kind = form["kinds"].get(name, "text")
        if name == "csrfmiddlewaretoken":
            continue
        if kind in ("text", "search", "tel", "email", "textarea", "url"):
            data[name] = fill
        else:
            data[name] = values if len(values) != 1 else values[0]
    return data
