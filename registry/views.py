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

from .models import Certificate


class VerificationForm(forms.Form):
    code = forms.CharField(label=_("Verification code"), max_length=40, strip=True)

    def clean_code(self):
        return "".join(self.cleaned_data["code"].split()).upper()


def verify_form(request):
    form = VerificationForm(request.GET or None)
    if form.is_valid():
        return redirect("registry:verify", code=form.cleaned_data["code"])
    return render(request, "registry/verify_form.html", {"form": form})


def verify(request, code):
    """Say whether a certificate is valid, superseded or revoked, with name, course and date: nothing more."""
    certificate = Certificate.objects.filter(verification_code=code.upper()[:40]).first()
    return render(
        request, "registry/verify.html", {"certificate": certificate, "code": code}, status=200 if certificate else 404
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


@staff_member_required
def staff_certificate(request, certificate_id):
    if not request.user.has_perm("registry.view_certificate"):
        raise Http404
    certificate = get_object_or_404(Certificate, pk=certificate_id)
    audit.record(action=AuditEvent.Action.PERSONAL_DATA_DOWNLOAD, obj=certificate, request=request, detail="pdf")
    return _pdf_response(certificate)
