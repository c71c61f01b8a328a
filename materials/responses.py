"""A private file as a download: an attachment, never sniffed into something else, never cached."""

from django.http import FileResponse, Http404

from verbindend.personal import mark_personal


def private_file_response(field_file, *, filename: str, content_type: str) -> FileResponse:
    """Return the stored file as an attachment named `filename`; a 404 when it is gone from the storage."""
    if not field_file:
        raise Http404
    try:
        handle = field_file.storage.open(field_file.name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return mark_personal(response)
