"""证明材料 uploads: PDF, JPG or PNG up to 10 MB, checked by extension AND by the file's first bytes."""
from pathlib import PurePath

from django.core.exceptions import ValidationError

MAX_PROOF_BYTES = 10 * 1024 * 1024
MAX_PROOF_FILES = 10
# extension → (content type, accepted leading bytes)
PROOF_TYPES = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
}
ALLOWED_LABEL = "PDF、JPG、PNG"


def _size_label(size):
    return f"{size / 1024 / 1024:.1f} MB"


def check_proof_file(upload, *, label="证明材料"):
    """Return the content type of an acceptable upload; raise ValidationError with a Chinese reason otherwise."""
    name = PurePath(getattr(upload, "name", "") or "").name or "（未命名文件）"
    suffix = PurePath(name).suffix.lower()
    if suffix not in PROOF_TYPES:
        raise ValidationError(f"{label}“{name}”的类型不支持：只能上传 {ALLOWED_LABEL} 文件。", code="file_type")
    size = getattr(upload, "size", 0) or 0
    if size > MAX_PROOF_BYTES:
        raise ValidationError(f"{label}“{name}”大小为 {_size_label(size)}，超过 10 MB 上限，请压缩后再上传。",
                              code="file_size")
    if size == 0:
        raise ValidationError(f"{label}“{name}”是空文件。", code="file_empty")
    content_type, signatures = PROOF_TYPES[suffix]
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if not any(head.startswith(sig) for sig in signatures):
        raise ValidationError(f"{label}“{name}”的内容不是有效的 {suffix[1:].upper()} 文件（文件可能已损坏或扩展名被改过）。",
                              code="file_content")
    return content_type


def check_proof_files(uploads, *, label="证明材料"):
    """Validate several uploads; all messages together so the user can fix every file at once."""
    uploads = [u for u in (uploads or []) if u]
    if len(uploads) > MAX_PROOF_FILES:
        raise ValidationError(f"{label}最多上传 {MAX_PROOF_FILES} 个文件，本次选择了 {len(uploads)} 个。")
    errors, types = [], []
    for upload in uploads:
        try:
            types.append(check_proof_file(upload, label=label))
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    return list(zip(uploads, types))
