from django.contrib.admin.views.decorators import staff_member_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404

from audit import services as audit
from audit.models import AuditEvent
from verbindend.personal import personal

from .models import Certificate


def pdf_response(certificate: Certificate) -> FileResponse:
    """Return a certificate's PDF as a download, for staff here and for its participant on their page."""
    if not certificate.pdf:
        raise Http404
    return FileResponse(
        certificate.pdf.open("rb"), as_attachment=True, filename=f"{certificate}.pdf", content_type="application/pdf"
    )


@personal
@staff_member_required
def staff_certificate(request, certificate_id):
    if not request.user.has_perm("registry.view_certificate"):
        raise Http404
    certificate = get_object_or_404(Certificate, pk=certificate_id)
    audit.record(action=AuditEvent.Action.PERSONAL_DATA_DOWNLOAD, obj=certificate, request=request, detail="pdf")
    return pdf_response(certificate)
