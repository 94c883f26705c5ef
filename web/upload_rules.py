"""What an upload field accepts, told to the person before they send: types, size per file, size per form.

The server's own checks stay where they are (engine.attachments per file, web.boundary per
request); this only describes them, so the page can say them beside the field and the
browser (static/js/form-checks.js, reading the data- attributes) can refuse a file before
a 30 MB form is sent only to come back as a 413.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _

from engine import attachments

# What the file picker offers: the extensions and types engine.attachments accepts (it sniffs the content too).
EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".pdf", ".doc", ".docx", ".xls", ".xlsx")
MEGABYTE = 1024 * 1024


@dataclass(frozen=True)
class UploadRules:
    """The limits of one upload field, and the words a page and the browser say them with."""

    max_file_bytes: int
    max_total_bytes: int
    extensions: tuple[str, ...]

    @property
    def accept(self) -> str:
        """The file picker's ``accept`` attribute."""
        return ",".join((*self.extensions, *sorted(attachments.ALLOWED_TYPES)))

    @property
    def hint(self) -> str:
        """The hint beside the field."""
        return _("Photos (JPEG, PNG, WebP), PDF, Word or Excel files; at most %(file)s MB each and %(total)s MB "
                 "together.", file=self.max_file_bytes // MEGABYTE, total=self.max_total_bytes // MEGABYTE)

    @property
    def data(self) -> dict[str, str]:
        """The data- attributes the browser check reads (``{name}`` is filled in by the script)."""
        return {
            "data-max-file-bytes": str(self.max_file_bytes),
            "data-max-total-bytes": str(self.max_total_bytes),
            "data-extensions": " ".join(self.extensions),
            "data-too-large": _("{name} is larger than %(file)s MB; choose a smaller file.",
                                file=self.max_file_bytes // MEGABYTE),
            "data-too-much": _("The chosen files add up to more than %(total)s MB; send fewer at a time.",
                               total=self.max_total_bytes // MEGABYTE),
            "data-wrong-type": _("{name} is not a photo, PDF, Word or Excel file."),
        }


def upload_rules() -> UploadRules:
    """The rules of this server: 8 MB a file (engine.attachments), the body cap of a form with files."""
    total = current_app.extensions["whistle"].settings.max_upload_bytes
    return UploadRules(attachments.MAX_BYTES, total, EXTENSIONS)
