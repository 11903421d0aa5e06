"""Response headers for personal data (issue 9, "Headers and error pages").

- `PrivateCacheMiddleware`: every response to a logged-in user (pages, PDFs, xlsx, files, JSON, redirects) is sent
  with `Cache-Control: private, no-store`, so neither a shared proxy nor the browser's disk cache keeps a copy of a
  child's data. Static files are not personal and keep their own caching.
- `allow_inline_styles(response, html)`: the notice preview is an `<iframe srcdoc>` whose document carries its own
  `<style>` blocks (the print CSS, with the configured font). A srcdoc document inherits the page's
  Content-Security-Policy, which allows no inline style; this adds the SHA-256 hashes of exactly those blocks to
  `style-src` of that one response (django-csp's per-response update), instead of `'unsafe-inline'` everywhere.
"""
import base64
import hashlib
import re

from django.conf import settings

PRIVATE_NO_STORE = "private, no-store"
_STYLE_BLOCK = re.compile(r"<style[^>]*>(.*?)</style>", re.S | re.I)


class PrivateCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.skip_prefixes = tuple(p for p in (settings.STATIC_URL,) if p)

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated
                and not (self.skip_prefixes and request.path.startswith(self.skip_prefixes))):
            current = response.get("Cache-Control", "")
            directives = {d.strip().split("=")[0].lower() for d in current.split(",") if d.strip()}
            if not {"private", "no-store"} <= directives or "public" in directives:
                response["Cache-Control"] = PRIVATE_NO_STORE
        return response


def style_hashes(html):
    """CSP source expressions ('sha256-…') for every <style> block of `html`."""
    return [f"'sha256-{base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()}'"
            for body in _STYLE_BLOCK.findall(html)]


def allow_inline_styles(response, html):
    hashes = style_hashes(html)
    if hashes:
        update = dict(getattr(response, "_csp_update", None) or {})
        update["style-src"] = list(update.get("style-src", [])) + hashes
        response._csp_update = update
    return response
