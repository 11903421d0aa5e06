"""Serve a stored upload: the one helper every scoped file view returns through.

The type is decided again from the stored bytes (their first bytes, via `kongchuo.uploads.sniff`), so a row stored
before the upload layer existed — an HTML or SVG file kept as 销号 evidence — is still never sent as text/html or
image/svg+xml: whatever is not a known image, PDF or office file goes out as application/octet-stream. Images and
PDFs are shown inline; everything else is an attachment. Always `nosniff`, `private, no-store`, and a sandboxing
CSP on everything that is not a PDF (a browser's PDF viewer does not run inside a sandbox).
"""
from urllib.parse import quote

from django.http import FileResponse, Http404

from kongchuo.uploads import KINDS, display_name, sniff

INLINE_FAMILIES = {"image", "pdf"}
SAFE_FALLBACK = "application/octet-stream"


def served_type(head, *, name=""):
    """(content type, inline?) for stored bytes starting with `head`."""
    kind = sniff(head)
    if kind == "zip":
        kind = "docx" if name.lower().endswith(".docx") else "xlsx"
    elif kind == "ole2":
        kind = "doc" if name.lower().endswith((".doc", ".wps")) else "xls"
    if kind is None:
        return SAFE_FALLBACK, False
    return KINDS[kind].content_type, KINDS[kind].family in INLINE_FAMILIES


def _content_disposition(disposition, filename):
    ascii_name = filename.encode("ascii", "ignore").decode().replace('"', "").replace("\\", "") or "file"
    return f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def stored_file_response(fieldfile, *, filename=None, attachment=False):
    """A FileResponse for a stored FieldFile (404 when it is missing). `filename`: display name for the download
    (sanitised again here); `attachment=True` forces a download even for an image or PDF."""
    if not fieldfile:
        raise Http404("文件不存在")
    try:
        handle = fieldfile.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404("文件不存在") from None
    head = handle.read(32)
    handle.seek(0)
    stored_name = fieldfile.name.rsplit("/", 1)[-1]
    content_type, inline = served_type(head, name=stored_name)
    name = display_name(filename or stored_name, default="file")
    ext = {v.content_type: v.extension for v in KINDS.values()}.get(content_type)
    if ext and not name.lower().endswith(ext) and not (ext == ".jpg" and name.lower().endswith(".jpeg")):
        name = name.rsplit(".", 1)[0] + ext if "." in name else name + ext
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = _content_disposition("inline" if inline and not attachment else "attachment",
                                                           name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    if content_type != "application/pdf":
        response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response
