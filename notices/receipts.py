"""The photo or scan of a signed 送达回证, through the one upload layer (`kongchuo.uploads`, purpose "receipt"):
JPG/PNG/WebP/HEIC or PDF, type by content, pixel budget, size limit `KONGCHUO["NOTICE_RECEIPT_MAX_BYTES"]`;
photos are re-encoded at most DOCUMENT_IMAGE_MAX_EDGE (2400 px: a phone photo of an A4 sheet stays readable)."""
from django.core.exceptions import ValidationError

from kongchuo import uploads

LABEL = "送达回证"


def _error(message):
    from notices.services import NoticeError

    return NoticeError(message, field="receipt_scan")


def clean_upload(upload, *, reencode=True):
    """Return a file to store (random name, verified type), or raise NoticeError naming the field."""
    try:
        return uploads.verify(upload, purpose="receipt", label=LABEL, reencode=reencode).as_file()
    except uploads.UploadRefused as exc:
        raise _error(exc.message) from None


def validate_for_form(upload):
    """Form-level check with the same rules (the form shows the message under the field)."""
    try:
        clean_upload(upload, reencode=False)
    except ValidationError as exc:
        raise ValidationError(exc.messages[0])
    finally:
        upload.seek(0)
