"""Which files Herald attaches, and how a file is checked before it is stored.

A file's type comes from its name's extension and must be on the allow-list below; its
content must look like that type (a PDF starts with ``%PDF-``, an Office document is a zip
with the parts Office writes and no macros, a text file is UTF-8), so a renamed program is
refused. Sizes are limited per file (``HERALD_ATTACHMENT_MAX_BYTES``) and per email
(``HERALD_ATTACHMENTS_TOTAL_MAX_BYTES``): what a template carries and what a send adds
together. Every refusal is an :class:`AttachmentRejected` with a sentence for the person.
"""

from __future__ import annotations

import io
import unicodedata
import zipfile
from dataclasses import dataclass

OOXML = "application/vnd.openxmlformats-officedocument"
ODF = "application/vnd.oasis.opendocument"
# extension -> (content type, what people call it)
TYPES: dict[str, tuple[str, str]] = {
    "pdf": ("application/pdf", "PDF"),
    "png": ("image/png", "PNG image"),
    "jpg": ("image/jpeg", "JPEG image"),
    "jpeg": ("image/jpeg", "JPEG image"),
    "gif": ("image/gif", "GIF image"),
    "txt": ("text/plain", "text file"),
    "csv": ("text/csv", "CSV file"),
    "ics": ("text/calendar", "calendar file"),
    "docx": (f"{OOXML}.wordprocessingml.document", "Word document"),
    "xlsx": (f"{OOXML}.spreadsheetml.sheet", "Excel workbook"),
    "pptx": (f"{OOXML}.presentationml.presentation", "PowerPoint presentation"),
    "odt": (f"{ODF}.text", "OpenDocument text"),
    "ods": (f"{ODF}.spreadsheet", "OpenDocument spreadsheet"),
}
CONTENT_TYPES = tuple(dict.fromkeys(kind for kind, _ in TYPES.values()))
EXTENSIONS = {kind: [ext for ext, (k, _) in TYPES.items() if k == kind] for kind in CONTENT_TYPES}
ACCEPT = ",".join(f".{ext}" for ext in TYPES)  # the file picker's accept attribute
ALLOWED_WORDS = (
    "PDF, PNG, JPEG, GIF, text (.txt), CSV, calendar (.ics), Word (.docx), Excel (.xlsx), "
    "PowerPoint (.pptx) and OpenDocument (.odt, .ods)"
)
MAX_FILES = 10  # per template version, and per API send
MAX_NAME = 200
SIGNATURES = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
}


class AttachmentRejected(ValueError):
    """A file Herald will not attach; the message is written for the person who gave it."""

    def __init__(self, message: str, field: str = "content") -> None:
        super().__init__(message)
        self.field = field  # which part of an API attachment is at fault: filename | content


@dataclass(frozen=True)
class Limits:
    per_file: int
    total: int

    @classmethod
    def from_settings(cls, settings) -> Limits:
        return cls(settings.attachment_max_bytes, settings.attachments_total_max_bytes)


@dataclass(frozen=True)
class CheckedFile:
    filename: str
    content_type: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


def megabytes(size: int) -> str:
    """``5 MB``, ``6.2 MB``, ``0.3 MB``: sizes as people read them (1 MB = 1,000,000 bytes)."""
    value = size / 1_000_000
    return f"{value:.0f} MB" if value == int(value) else f"{max(value, 0.1):.1f} MB"


def clean_filename(name: str) -> str:
    """The name without folders, control or direction-changing characters, or edge dots."""
    name = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = " ".join(name.split()).strip(" .")
    if len(name) > MAX_NAME:
        stem, dot, extension = name.rpartition(".")
        name = stem[: MAX_NAME - len(extension) - 1] + dot + extension if dot else name[:MAX_NAME]
    return name


def type_of(filename: str) -> tuple[str, str]:
    """(content type, label) for a file name, or ``AttachmentRejected``."""
    extension = filename.rpartition(".")[2].lower() if "." in filename else ""
    if extension not in TYPES:
        shown = f"“{filename}”" if filename else "This file"
        raise AttachmentRejected(
            f"{shown} is not a type Herald attaches. Attach {ALLOWED_WORDS} files.", "filename"
        )
    return TYPES[extension]


def check_file(filename: str, data: bytes, limits: Limits, content_type: str = "") -> CheckedFile:
    """Check one file; ``content_type``, when given (the API), must match the name's type."""
    name = clean_filename(filename)
    kind, label = type_of(name)
    if content_type and content_type != kind:
        endings = " or ".join(f".{ext}" for ext in EXTENSIONS.get(content_type, []))
        raise AttachmentRejected(
            f"“{name}” does not end in {endings}, as a {content_type} file's name must"
            if endings
            else f"{content_type} is not a type Herald attaches",
            "filename",
        )
    if not data:
        raise AttachmentRejected(f"“{name}” is empty.")
    if len(data) > limits.per_file:
        raise AttachmentRejected(
            f"“{name}” is {megabytes(len(data))}; a file can be at most "
            f"{megabytes(limits.per_file)}."
        )
    problem = _content_problem(kind, data)
    if problem:
        raise AttachmentRejected(f"“{name}” is not a real {label}: {problem}.")
    return CheckedFile(name, kind, data)


def check_total(sizes: list[int], limits: Limits) -> None:
    total = sum(sizes)
    if total > limits.total:
        raise AttachmentRejected(
            f"The attachments add up to {megabytes(total)}; at most "
            f"{megabytes(limits.total)} can go with one email."
        )


def _content_problem(kind: str, data: bytes) -> str:
    if kind in SIGNATURES:
        ok = data.startswith(SIGNATURES[kind])
        return "" if ok else "its content does not start like one"
    if kind.startswith("text/"):
        return _text_problem(kind, data)
    return _package_problem(kind, data)


def _text_problem(kind: str, data: bytes) -> str:
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        return "it is not UTF-8 text"
    if "\x00" in text:
        return "it holds binary data"
    if kind == "text/calendar" and not text.lstrip().upper().startswith("BEGIN:VCALENDAR"):
        return "it does not begin with BEGIN:VCALENDAR"
    return ""


def _package_problem(kind: str, data: bytes) -> str:
    """Office and OpenDocument files are zip packages; macros are refused."""
    if not data.startswith(b"PK\x03\x04"):
        return "its content is not a document package"
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return "the document package is damaged"
    if kind.startswith(OOXML):
        if "[Content_Types].xml" not in names:
            return "the document package has no content types part"
        if any(name.lower().endswith("vbaproject.bin") for name in names):
            return "it contains macros, which Herald does not send"
    elif "mimetype" not in names:
        return "the document package has no mimetype entry"
    elif any(name.lower().startswith("basic/") for name in names):
        return "it contains macros, which Herald does not send"
    return ""
