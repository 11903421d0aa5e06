"""Upload checks and photo resizing (Pillow). Limits are settings a district may change."""
import io
import os
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from PIL import Image, ImageOps, UnidentifiedImageError

from cases.services.common import CaseError

PHOTO_TYPES = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "MPO": "jpg"}
DOCUMENT_EXTENSIONS = {".pdf", ".jpg", ".jpeg", ".png", ".webp"}


def _setting(name, default):
    return getattr(settings, "KONGCHUO", {}).get(name, default)


def max_photo_bytes():
    return _setting("PHOTO_MAX_BYTES", 10 * 1024 * 1024)


def max_photos():
    return _setting("PHOTO_MAX_COUNT", 6)


def photo_edge():
    return _setting("PHOTO_MAX_EDGE", 1600)


def max_document_bytes():
    return _setting("DOCUMENT_MAX_BYTES", 10 * 1024 * 1024)


def _mb(n):
    return f"{n / 1024 / 1024:.0f} MB"


def resize_photo(upload, *, label="照片"):
    """Validate an uploaded photo and return (ContentFile JPEG, width, height), at most PHOTO_MAX_EDGE px."""
    name = getattr(upload, "name", "photo")
    if upload.size > max_photo_bytes():
        raise CaseError(f"{label}“{name}”超过 {_mb(max_photo_bytes())}，请压缩后再上传。", field="photos")
    try:
        upload.seek(0)
        image = Image.open(upload)
        image.load()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise CaseError(f"{label}“{name}”不是有效的图片（支持 JPG、PNG、WebP）。", field="photos")
    if image.format not in PHOTO_TYPES:
        raise CaseError(f"{label}“{name}”格式为 {image.format}，只支持 JPG、PNG、WebP。", field="photos")
    image = ImageOps.exif_transpose(image)
    if image.mode not in ("RGB", "L"):
        background = Image.new("RGB", image.size, "white")
        if image.mode in ("RGBA", "LA", "P"):
            image = image.convert("RGBA")
            background.paste(image, mask=image.split()[-1])
            image = background
        else:
            image = image.convert("RGB")
    image.thumbnail((photo_edge(), photo_edge()), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=82, optimize=True)
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.jpg"), image.width, image.height


def check_photos(photos):
    photos = [p for p in (photos or []) if p]
    if len(photos) > max_photos():
        raise CaseError(f"每次最多上传 {max_photos()} 张照片。", field="photos")
    return photos


def check_document(upload, *, label, field):
    """An application scan or certificate: PDF or image, size-limited."""
    if not upload:
        raise CaseError(f"请上传{label}。", field=field)
    ext = os.path.splitext(upload.name)[1].lower()
    if ext not in DOCUMENT_EXTENSIONS:
        raise CaseError(f"{label}“{upload.name}”格式不支持，请上传 PDF、JPG 或 PNG。", field=field)
    if upload.size > max_document_bytes():
        raise CaseError(f"{label}“{upload.name}”超过 {_mb(max_document_bytes())}。", field=field)
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if ext == ".pdf" and not head.startswith(b"%PDF"):
        raise CaseError(f"{label}“{upload.name}”不是有效的 PDF 文件。", field=field)
    if ext != ".pdf":
        try:
            Image.open(upload).verify()
        except (UnidentifiedImageError, OSError, ValueError):
            raise CaseError(f"{label}“{upload.name}”不是有效的图片。", field=field)
        finally:
            upload.seek(0)
    return upload
