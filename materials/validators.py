"""
What a file is, read from its first bytes, not from its name: a PDF, an Office Open XML or an OpenDocument file.

A name can be anything (an .exe or an HTML page renamed .pdf); the content
decides. A file is accepted only when its extension is one of those allowed
and its content is the kind that extension names.
"""

import zipfile
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

# The extension, the part of an Office Open XML package that only that kind
# has, and the content type the file is served with.
OOXML = {
    "docx": ("word/", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "pptx": ("ppt/", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    "xlsx": ("xl/", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}
# OpenDocument: the package's first member, "mimetype", holds the type.
ODF = {
    "odt": "application/vnd.oasis.opendocument.text",
    "odp": "application/vnd.oasis.opendocument.presentation",
}
PDF = "application/pdf"
MATERIAL_TYPES = frozenset({"pdf", "pptx", "docx", "xlsx", "odp", "odt"})
ASSIGNMENT_TYPES = frozenset({"pdf", "docx", "odt"})


def content_type(extension: str) -> str:
    """Return the content type a file of this (already checked) kind is served with."""
    if extension == "pdf":
        return PDF
    if extension in OOXML:
        return OOXML[extension][1]
    return ODF.get(extension, "application/octet-stream")


def extension_of(name: str) -> str:
    return PurePath(name).suffix.lower().lstrip(".")


def sniffed_kind(upload) -> str | None:
    """Return the kind of file the content is ("pdf", "docx", ...), or None when it is none of them."""
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if not head.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(upload) as package:
            return _package_kind(package)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        return None
    finally:
        upload.seek(0)


def _package_kind(package: zipfile.ZipFile) -> str | None:
    names = package.namelist()
    if names and names[0] == "mimetype":
        declared = package.read("mimetype").decode("ascii", "replace").strip()
        return next((kind for kind, mimetype in ODF.items() if mimetype == declared), None)
    if "[Content_Types].xml" not in names:
        return None
    return next(
        (kind for kind, (folder, _type) in OOXML.items() if any(name.startswith(folder) for name in names)),
        None,
    )


def validate_upload(upload, *, allowed: frozenset[str], max_bytes: int) -> str:
    """
    Check an uploaded file's size, name and content; return its kind (its extension).

    :raises ValidationError: empty, too large, or not one of the allowed kinds by its content
    """
    if not upload.size:
        raise ValidationError(_("The file is empty."), code="empty")
    if upload.size > max_bytes:
        raise ValidationError(
            _("The file is too large: at most %(size)s.") % {"size": filesizeformat(max_bytes)}, code="too_large"
        )
    names = ", ".join(f".{kind}" for kind in sorted(allowed))
    extension = extension_of(upload.name)
    if extension not in allowed:
        raise ValidationError(
            _("This kind of file is not accepted. Accepted: %(kinds)s.") % {"kinds": names}, code="type"
        )
    if sniffed_kind(upload) != extension:
        raise ValidationError(
            _("The file's content is not a %(kind)s file. Accepted: %(kinds)s.")
            % {"kind": f".{extension}", "kinds": names},
            code="content",
        )
    return extension
