from django import forms
from django.contrib.admin.views.decorators import staff_member_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from audit import services as audit
from audit.models import AuditEvent
from cohorts import tokens
from cohorts.models import Participant
from verbindend.personal import personal

from . import selectors
from .models import Certificate


class VerificationForm(forms.Form):
    code = forms.CharField(
        label=_("Certificate number or verification code"),
        max_length=selectors.MAX_TYPED,
        strip=True,
        help_text=_(
            "The number printed large on the certificate, such as VL-2026-01-001, or the code next to the QR code."
        ),
    )

    def clean_code(self):
        code = selectors.normalize_typed_code(self.cleaned_data["code"])
        if not code.replace("-", ""):
            raise forms.ValidationError(
                _("Type the certificate number or the verification code, in letters and digits.")
            )
        return code


def verify_form(request):
    form = VerificationForm(request.GET or None)
    if form.is_valid():
        return redirect("registry:verify", code=form.cleaned_data["code"])
    return render(request, "registry/verify_form.html", {"form": form})


def verify(request, code):
    """Say whether a certificate is valid, superseded or revoked, with name, course and date: nothing more."""
    result = selectors.verify(code)
    return render(
        request,
        "registry/verify.html",
        {
            "certificate": result.certificate,
            "by_number": result.by_number,
            "older_versions": result.older_versions,
            # Shown back as it will be looked up: never more than a code or number can be.
            "code": selectors.normalize_typed_code(code),
        },
        status=200 if result.certificate else 404,
    )


def _pdf_response(certificate: Certificate):
    if not certificate.pdf:
        raise Http404
    return FileResponse(
        certificate.pdf.open("rb"), as_attachment=True, filename=f"{certificate}.pdf", content_type="application/pdf"
    )


@never_cache
def participant_certificate(request, token, certificate_id):
    """The participant's own certificate: the token must be theirs."""
    key = tokens.read_token(token, tokens.PARTICIPANT)
    if key is None:
        raise Http404
    participant = get_object_or_404(Participant, access_key=key)
    certificate = get_object_or_404(Certificate, pk=certificate_id, participant=participant)
    return _pdf_response(certificate)


@personal
@staff_member_required
def staff_certificate(request, certificate_id):
    if not request.user.has_perm("registry.view_certificate"):
        raise Http404
    certificate = get_object_or_404(Certificate, pk=certificate_id)
    audit.record(action=AuditEvent.Action.PERSONAL_DATA_DOWNLOAD, obj=certificate, request=request, detail="pdf")
    return _pdf_response(certificate)
