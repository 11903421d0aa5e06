"""Case uploads (visit and 送教 photos, 缓学/免学 documents) through the one upload layer, `kongchuo.uploads`;
refusals become CaseError on the form field. Limits: settings under KONGCHUO (README "上传文件")."""
from django.core.exceptions import ValidationError

from cases.services.common import CaseError
from kongchuo import uploads


def max_photos():
    return uploads.purpose("photo").max_count()


def check_photos(photos, *, label="照片", field="photos"):
    """Verify every photo (count, size, type by content, pixel budget, decode) and return the re-encoded JPEGs
    as (ContentFile, width, height) — all checked before the caller writes anything."""
    try:
        verified = uploads.verify_many(photos, purpose="photo", label=label)
    except ValidationError as exc:
        raise CaseError("；".join(exc.messages), field=field) from None
    return [(v.as_file(), v.width, v.height) for v in verified]


def check_document(upload, *, label, field):
    """An application scan or certificate (PDF or image): return the verified file to store, randomly named."""
    if not upload:
        raise CaseError(f"请上传{label}。", field=field)
    try:
        return uploads.verify(upload, purpose="document", label=label).as_file()
    except uploads.UploadRefused as exc:
        raise CaseError(exc.message, field=field) from None


def check_optional_document(upload, *, label, field):
    return check_document(upload, label=label, field=field) if upload else None
