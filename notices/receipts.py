"""The photo or scan of a signed 送达回证: type and size are limited, the content is checked, big photos shrink."""
import io

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

ALLOWED = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "pdf": "application/pdf"}
MAX_SIDE = 2400  # px: a phone photo of an A4 sheet stays readable


def max_bytes():
    return settings.KONGCHUO.get("NOTICE_RECEIPT_MAX_BYTES", 10 * 1024 * 1024)


def _error(message):
    from notices.services import NoticeError

    return NoticeError(message, field="receipt_scan")


def clean_upload(upload):
    """Return a file to store, or raise NoticeError naming the field."""
    name = (getattr(upload, "name", "") or "").rsplit("/", 1)[-1]
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in ALLOWED:
        raise _error("送达回证只能上传 JPG、PNG 图片或 PDF 文件。")
    size = getattr(upload, "size", None)
    limit = max_bytes()
    if size is not None and size > limit:
        raise _error(f"送达回证文件不能超过 {limit // (1024 * 1024)} MB（当前 {size / 1024 / 1024:.1f} MB）。")
    upload.seek(0)
    data = upload.read()
    if len(data) > limit:
        raise _error(f"送达回证文件不能超过 {limit // (1024 * 1024)} MB。")
    if not data:
        raise _error("送达回证文件是空的。")
    if ext == "pdf":
        if not data.startswith(b"%PDF-"):
            raise _error("送达回证文件不是有效的 PDF。")
        return SimpleUploadedFile(f"receipt.pdf", data, content_type="application/pdf")
    return _clean_image(data, ext)


def _clean_image(data, ext):
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise _error("送达回证图片无法识别，请上传 JPG 或 PNG 照片。")
    if image.format not in ("JPEG", "PNG"):
        raise _error("送达回证只能上传 JPG、PNG 图片或 PDF 文件。")
    if max(image.size) <= MAX_SIDE:
        return SimpleUploadedFile(f"receipt.{'png' if image.format == 'PNG' else 'jpg'}", data,
                                  content_type=ALLOWED[ext])
    from PIL import ImageOps

    image = ImageOps.exif_transpose(image)
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
    return SimpleUploadedFile("receipt.jpg", out.getvalue(), content_type="image/jpeg")


def validate_for_form(upload):
    """Form-level check with the same rules (the form shows the message under the field)."""
    try:
        clean_upload(upload)
    except ValidationError as exc:
        raise ValidationError(exc.messages[0])
    finally:
        upload.seek(0)
