"""Files the app stored (documents, export workbooks), served as downloads."""

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404


def stored_file_response(
    stored: FieldFile, *, filename: str, content_type: str
) -> FileResponse:
    """`stored` as an attachment named `filename`; a file gone from the storage (or
    never written) is a 404, not a server error."""
    try:
        handle = stored.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404 from exc
    response = FileResponse(
        handle, as_attachment=True, filename=filename, content_type=content_type
    )
    # a file is data, never a page: even a browser that ignored the attachment and
    # nosniff headers would show it sandboxed, with no script and nothing loaded
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["X-Content-Type-Options"] = "nosniff"
    return response
