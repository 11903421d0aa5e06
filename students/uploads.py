"""证明材料 uploads through the one upload layer (`kongchuo.uploads`, purpose "document"): PDF or image, type by
content, size and count limits from settings; refusals are ValidationErrors with the file named."""
from django.core.exceptions import ValidationError

from kongchuo import uploads

MAX_PROOF_BYTES = uploads.PURPOSES["document"].default_max_bytes


def check_proof_files(files, *, label="证明材料", reencode=True):
    """Return the verified files (`kongchuo.uploads.Verified`: display name, content type, bytes to store); every
    message together so the user can fix every file at once."""
    try:
        return uploads.verify_many(files, purpose="document", label=label, reencode=reencode)
    except ValidationError as exc:
        raise ValidationError(exc.messages) from None
