"""The one upload layer: every file a user sends goes through `verify()` (or a helper built on it) before anything
is stored.

- An allow-list per purpose (photo, document, receipt, spreadsheet, work plan): `PURPOSES`.
- The type is decided by the content, never by the name or the browser's Content-Type: magic bytes, then a real
  parse — images are decoded (after a pixel-count check made from the header alone, so a 20000×20000 PNG costs
  nothing), PDFs are opened with pikepdf. SVG, HTML, executables and anything unknown are refused whatever their
  name; a known extension must agree with the content (a PDF named .png is refused).
- Size limits per purpose, count limits for multi-file fields; settings under `KONGCHUO` (README "上传文件").
- Images are re-encoded (photos to JPEG at PHOTO_MAX_EDGE, document scans at DOCUMENT_IMAGE_MAX_EDGE): what is
  stored is pixels Pillow wrote, not the sender's bytes (no trailing payload, no EXIF GPS).
- Stored names are random (`<uuid>.<ext of the verified type>`); the sender's name survives only as display text
  (`display_name`: no path, no control or bidi characters, at most 100 characters).

Every refusal is an `UploadRefused` (a ValidationError) whose message names the field/file and the limit in Chinese;
callers re-raise it as their app's error with their field name.
"""
import io
import os
import unicodedata
import uuid
import warnings
import zipfile
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile

MB = 1024 * 1024


class UploadRefused(ValidationError):
    """A refused upload: `message` is the Chinese sentence to show under the field."""

    def __str__(self):
        return self.message


# --------------------------------------------------------------------------------------------- settings
def _setting(name, default):
    return getattr(settings, "KONGCHUO", {}).get(name, default)


def max_pixels():
    """Pixel budget checked from the header before any decode (width × height)."""
    return int(_setting("UPLOAD_IMAGE_MAX_PIXELS", 40_000_000))


# --------------------------------------------------------------------------------------------- kinds
@dataclass(frozen=True)
class Kind:
    key: str
    content_type: str
    extension: str  # stored extension
    family: str     # image / pdf / spreadsheet / word
    label: str


KINDS = {
    "jpeg": Kind("jpeg", "image/jpeg", ".jpg", "image", "JPG"),
    "png": Kind("png", "image/png", ".png", "image", "PNG"),
    "webp": Kind("webp", "image/webp", ".webp", "image", "WebP"),
    "heic": Kind("heic", "image/heic", ".heic", "image", "HEIC"),
    "pdf": Kind("pdf", "application/pdf", ".pdf", "pdf", "PDF"),
    "xlsx": Kind("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx",
                 "spreadsheet", "Excel"),
    "xls": Kind("xls", "application/vnd.ms-excel", ".xls", "spreadsheet", "Excel"),
    "docx": Kind("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx",
                 "word", "Word"),
    "doc": Kind("doc", "application/msword", ".doc", "word", "Word"),
}
EXTENSION_FAMILY = {
    ".jpg": "image", ".jpeg": "image", ".jfif": "image", ".png": "image", ".webp": "image", ".heic": "image",
    ".heif": "image", ".pdf": "pdf", ".xlsx": "spreadsheet", ".xls": "spreadsheet", ".docx": "word",
    ".doc": "word", ".wps": "word",
}
ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"heif"}


def sniff(head):
    """The kind the first bytes claim (None when unknown). Only a claim: `verify` then parses the content."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS:
        return "heic"
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(ZIP_MAGIC):
        return "zip"
    if head.startswith(OLE2_MAGIC):
        return "ole2"
    return None


# --------------------------------------------------------------------------------------------- purposes
@dataclass(frozen=True)
class Purpose:
    key: str
    kinds: frozenset
    extensions: frozenset          # names we accept (lower case); empty extension accepted when allow_no_extension
    max_bytes_setting: str
    default_max_bytes: int
    refuse_type: str               # "{label}“{name}”…" sentence for a type outside the allow-list
    invalid_image: str = "不是有效的 {ext} 文件"
    image_edge_setting: str = "DOCUMENT_IMAGE_MAX_EDGE"
    default_image_edge: int = 2400
    images_to_jpeg: bool = False   # photos: always JPEG; documents keep PNG as PNG
    max_count_setting: str = ""
    default_max_count: int = 1
    count_unit: str = "个文件"
    size_hint: str = "，请压缩后再上传"
    allow_no_extension: bool = False
    top_level_max_bytes: str = ""  # a settings.<NAME> (not under KONGCHUO) that wins when set
    extra: dict = field(default_factory=dict)

    def max_bytes(self):
        if self.top_level_max_bytes and hasattr(settings, self.top_level_max_bytes):
            return int(getattr(settings, self.top_level_max_bytes))
        return int(_setting(self.max_bytes_setting, self.default_max_bytes))

    def max_count(self):
        return int(_setting(self.max_count_setting, self.default_max_count)) if self.max_count_setting else 1

    def image_edge(self):
        return int(_setting(self.image_edge_setting, self.default_image_edge))


IMAGE_KINDS = frozenset({"jpeg", "png", "webp", "heic"})
IMAGE_EXTS = frozenset({".jpg", ".jpeg", ".jfif", ".png", ".webp", ".heic", ".heif"})
PURPOSES = {
    "photo": Purpose(
        "photo", IMAGE_KINDS, IMAGE_EXTS, "PHOTO_MAX_BYTES", 10 * MB,
        refuse_type="{label}“{name}”不是有效的图片：只能上传 JPG、PNG、WebP、HEIC 照片，其他格式不支持。",
        invalid_image="不是有效的图片", image_edge_setting="PHOTO_MAX_EDGE", default_image_edge=1600,
        images_to_jpeg=True, max_count_setting="PHOTO_MAX_COUNT", default_max_count=6, count_unit="张",
        allow_no_extension=True),
    "document": Purpose(
        "document", IMAGE_KINDS | {"pdf"}, IMAGE_EXTS | {".pdf"}, "DOCUMENT_MAX_BYTES", 10 * MB,
        refuse_type="{label}“{name}”的类型不支持：只能上传 PDF、JPG、PNG 文件或手机照片（WebP、HEIC），其他格式不支持。",
        max_count_setting="DOCUMENT_MAX_COUNT", default_max_count=10),
    "receipt": Purpose(
        "receipt", IMAGE_KINDS | {"pdf"}, IMAGE_EXTS | {".pdf"}, "NOTICE_RECEIPT_MAX_BYTES", 10 * MB,
        refuse_type="{label}“{name}”的类型不支持：只能上传 JPG、PNG 图片或 PDF 文件（手机照片 WebP、HEIC 也可以），其他格式不支持。"),
    "spreadsheet": Purpose(
        "spreadsheet", frozenset({"xlsx", "xls"}), frozenset({".xlsx", ".xls"}), "SPREADSHEET_MAX_BYTES",
        20 * MB - 1, top_level_max_bytes="KONGCHUO_MAX_UPLOAD_BYTES",
        refuse_type="{label}“{name}”的类型不支持：只能上传 Excel 文件（.xlsx 或 .xls），其他格式不支持。",
        size_hint="，请按年级分成几个文件导入"),
    "work_plan": Purpose(
        "work_plan", IMAGE_KINDS | {"pdf", "docx", "doc"}, IMAGE_EXTS | {".pdf", ".docx", ".doc", ".wps"},
        "WORK_PLAN_MAX_BYTES", 20 * MB,
        refuse_type="{label}“{name}”的类型不支持：只能上传 PDF、Word（.docx、.doc、.wps）或图片，其他格式不支持。"),
}


def purpose(key):
    return PURPOSES[key]


def _limit_text(limit):
    """20 MB − 1 byte reads as "20 MB"; small test limits in bytes."""
    if limit < MB:
        return f"{limit} 字节"
    if limit % MB == MB - 1:
        limit += 1
    return f"{limit / MB:.1f}".rstrip("0").rstrip(".") + " MB"


# --------------------------------------------------------------------------------------------- names
_BIDI_AND_INVISIBLE = {"\u061c", "\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2060", "\ufeff"}
NAME_MAX = 100


def display_name(name, *, default="未命名文件"):
    """The sender's file name as harmless display text: last path part only (either slash), NFC, no control,
    format (bidi overrides, zero-width) or private characters, trimmed, at most NAME_MAX characters (the extension
    kept). Never used as a storage path."""
    name = str(name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name
                   if ch not in _BIDI_AND_INVISIBLE and unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn"))
    name = " ".join(name.split())
    if not name.strip("."):
        return default
    if len(name) > NAME_MAX:
        stem, ext = os.path.splitext(name)
        ext = ext if len(ext) <= 10 else ""
        name = stem[:NAME_MAX - len(ext) - 1] + "…" + ext
    return name


def _extension(name):
    name = display_name(name, default="")
    return "." + name.rsplit(".", 1)[1].lower() if "." in name else ""


def random_name(kind):
    return f"{uuid.uuid4().hex}{KINDS[kind].extension}"


# --------------------------------------------------------------------------------------------- result
@dataclass
class Verified:
    """An accepted upload. `content` is what to store (re-encoded pixels for images, the sender's bytes otherwise)."""
    kind: str
    display_name: str
    size: int
    content: bytes
    width: int = 0
    height: int = 0

    @property
    def content_type(self):
        return KINDS[self.kind].content_type

    @property
    def stored_name(self):
        return random_name(self.kind)

    def as_file(self):
        """A ContentFile with a random name of the verified type, ready for FieldFile.save / a model field."""
        return ContentFile(self.content, name=self.stored_name)


# --------------------------------------------------------------------------------------------- verify
def _read(upload, limit):
    """Read at most limit + 1 bytes (a lying `size` cannot make us read more)."""
    upload.seek(0)
    data = upload.read(limit + 1)
    upload.seek(0)
    return data


def verify(upload, *, purpose, label, reencode=True):
    """Check one upload for `purpose` ("photo", "document", …); return a `Verified` or raise UploadRefused."""
    p = PURPOSES[purpose] if isinstance(purpose, str) else purpose
    shown = display_name(getattr(upload, "name", ""))
    fmt = {"label": label, "name": shown}
    if upload is None:
        raise UploadRefused(f"请上传{label}。")
    limit = p.max_bytes()
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise UploadRefused(f"{label}“{shown}”文件过大（{size / MB:.1f} MB），超过 {_limit_text(limit)} 上限："
                            f"每个文件不能超过 {_limit_text(limit)}{p.size_hint}。")
    ext = _extension(getattr(upload, "name", ""))
    if ext not in p.extensions and not (p.allow_no_extension and ext == ""):
        raise UploadRefused(p.refuse_type.format(**fmt))
    data = _read(upload, limit)
    if len(data) > limit:
        raise UploadRefused(f"{label}“{shown}”文件过大，超过 {_limit_text(limit)} 上限："
                            f"每个文件不能超过 {_limit_text(limit)}{p.size_hint}。")
    if not data:
        raise UploadRefused(f"{label}“{shown}”是空文件：上传的文件是空的，请重新选择。")
    claimed = sniff(data[:32])
    ext_label = ext[1:].upper().replace("JPEG", "JPG") if ext else "图片"
    not_valid = (p.invalid_image.format(ext=ext_label) if EXTENSION_FAMILY.get(ext, "image") == "image"
                 else "不是 Excel 表格" if p.key == "spreadsheet"
                 else f"不是有效的 {ext_label} 文件")
    invalid = f"{label}“{shown}”的内容无法识别：{not_valid}（文件可能已损坏或扩展名被改过）。"
    kind = _kind_of(claimed, data, ext)
    if kind is None or kind not in p.kinds or (ext and EXTENSION_FAMILY.get(ext) != KINDS[kind].family):
        raise UploadRefused(invalid)  # unknown bytes, or the name lies (a PDF named .png, HTML named .jpg)
    if KINDS[kind].family == "image":
        return _verify_image(data, kind, p, label=label, shown=shown, invalid=invalid, reencode=reencode)
    if kind == "pdf":
        _verify_pdf(data, invalid)
    elif kind in ("docx",):
        _verify_docx(data, invalid)
    return Verified(kind=kind, display_name=shown, size=len(data), content=data)


def _kind_of(claimed, data, ext):
    if claimed in ("jpeg", "png", "webp", "heic", "pdf"):
        return claimed
    if claimed == "zip":
        return "docx" if ext == ".docx" else "xlsx"
    if claimed == "ole2":
        return "doc" if ext in (".doc", ".wps") else "xls"
    return None


def verify_many(uploads, *, purpose, label, reencode=True):
    """Several files of one field: the count limit, then every file; all messages together."""
    p = PURPOSES[purpose]
    uploads = [u for u in (uploads or []) if u]
    if len(uploads) > p.max_count():
        raise UploadRefused(f"{label}每次最多上传 {p.max_count()} {p.count_unit}，本次选择了 {len(uploads)} {p.count_unit}。")
    results, errors = [], []
    for upload in uploads:
        try:
            results.append(verify(upload, purpose=purpose, label=label, reencode=reencode))
        except UploadRefused as exc:
            errors.append(exc.message)
    if errors:
        raise UploadRefused(errors[0]) if len(errors) == 1 else ValidationError(errors)
    return results


def _verify_pdf(data, invalid):
    """%PDF- at offset 0 (qpdf would accept it anywhere in the first KB: an HTML page with a PDF inside) and a real
    parse with at least one page."""
    import pikepdf

    if not data.startswith(b"%PDF-"):
        raise UploadRefused(invalid)
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            if len(pdf.pages) < 1:
                raise UploadRefused(invalid)
    except UploadRefused:
        raise
    except Exception:  # pikepdf.PdfError, PasswordError, anything qpdf throws on junk
        raise UploadRefused(invalid) from None


def _verify_docx(data, invalid):
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if "word/document.xml" not in archive.namelist():
                raise UploadRefused(invalid)
    except zipfile.BadZipFile:
        raise UploadRefused(invalid) from None


# --------------------------------------------------------------------------------------------- images
_heif_registered = False


def heif_supported():
    global _heif_registered
    if not _heif_registered:
        try:
            import pillow_heif

            pillow_heif.register_heif_opener()
            _heif_registered = True
        except ImportError:  # pragma: no cover - pillow-heif is in requirements.txt
            return False
    return True


PIL_FORMATS = {"JPEG": "jpeg", "MPO": "jpeg", "PNG": "png", "WEBP": "webp", "HEIF": "heic"}


def _no_trailer(data, kind):
    """Refuse bytes after the image's own end where the format marks it (PNG IEND, RIFF length): a payload glued
    behind a picture is the classic polyglot. JPEGs are allowed a trailer (phones append motion-photo data); they
    are re-encoded anyway."""
    if kind == "png":
        end = data.rfind(b"IEND")
        return end != -1 and end + 8 == len(data)
    if kind == "webp":
        return int.from_bytes(data[4:8], "little") + 8 == len(data)
    return True


def _verify_image(data, kind, p, *, label, shown, invalid, reencode):
    from PIL import Image, ImageOps, UnidentifiedImageError

    if kind == "heic" and not heif_supported():  # pragma: no cover
        raise UploadRefused(p.refuse_type.format(label=label, name=shown))
    if not _no_trailer(data, kind):
        raise UploadRefused(invalid)
    bad = (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError,
           Image.DecompressionBombError, Image.DecompressionBombWarning, MemoryError)
    def too_many_pixels(width, height):
        dims = f"（{width}×{height}，约 {width * height / 1e6:.0f} 百万像素）" if width and height else ""
        return UploadRefused(f"{label}“{shown}”的像素太多{dims}，超过 {max_pixels() / 1e6:.0f} 百万像素上限："
                             "请用手机拍照的普通尺寸，或缩小后再上传。")

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            try:
                image = Image.open(io.BytesIO(data))  # reads the header only
            except (Image.DecompressionBombError, Image.DecompressionBombWarning):
                raise too_many_pixels(*_png_size(data)) from None  # beyond Pillow's own limit: refused at open
            if PIL_FORMATS.get(image.format) != kind:
                raise UploadRefused(invalid)
            width, height = image.size
            if width * height > max_pixels():
                raise too_many_pixels(width, height)
            if width < 1 or height < 1:
                raise UploadRefused(invalid)
            edge = p.image_edge()
            if image.format in ("JPEG", "MPO"):
                image.draft("RGB", (edge, edge))  # decode at 1/2, 1/4 or 1/8 scale: memory follows the output
            image.load()  # the real decode: a JPEG header followed by junk fails here
    except UploadRefused:
        raise
    except bad:
        raise UploadRefused(invalid) from None
    if not reencode:
        return Verified(kind=kind, display_name=shown, size=len(data), content=data, width=width, height=height)
    try:
        image.thumbnail((edge, edge), Image.Resampling.LANCZOS)
        exif_orientation = image.getexif().get(0x0112, 1)
        image.info = {}  # no comment, text chunk, XMP or EXIF (GPS) from the sender's file is written back
        if exif_orientation and exif_orientation != 1:
            image = ImageOps.exif_transpose(image)
            image.info = {}
        out = io.BytesIO()
        if kind == "png" and not p.images_to_jpeg:
            if image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA"):
                image = image.convert("RGBA")
            image.save(out, format="PNG", optimize=True)
            out_kind = "png"
        else:
            image = _flatten(image)
            image.save(out, format="JPEG", quality=82 if p.images_to_jpeg else 85, optimize=True)
            out_kind = "jpeg"
    except bad:
        raise UploadRefused(invalid) from None
    return Verified(kind=out_kind, display_name=shown, size=out.tell(), content=out.getvalue(),
                    width=image.width, height=image.height)


def _png_size(data):
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return 0, 0


def _flatten(image):
    from PIL import Image

    if image.mode in ("RGB", "L"):
        return image
    if image.mode in ("RGBA", "LA", "P", "PA"):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, "white")
        background.paste(image, mask=image.split()[-1])
        return background
    return image.convert("RGB")
