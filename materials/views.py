"""The participant's materials and final assignment behind their personal link: downloads and the upload."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from . import selectors
from .access import participant_from_token
from .forms import AssignmentUploadForm
from .responses import private_file_response
from .services import MaterialsError
from .services.assignments import submit_final_assignment


@never_cache
@require_GET
def material_download(request, token, material_id):
    """Hand out a material's file, only while the participant sees it on their page."""
    material = selectors.visible_material(participant_from_token(token), material_id)
    if material is None or not material.file:
        raise Http404
    return private_file_response(material.file, filename=material.filename, content_type=material.content_type)


@never_cache
@require_GET
def assignment_download(request, token):
    """Hand the participant back the final assignment they uploaded."""
    submission = selectors.own_submission(participant_from_token(token))
    if submission is None:
        raise Http404
    return private_file_response(submission.file, filename=submission.filename, content_type=submission.content_type)


@never_cache
@require_http_methods(["GET", "POST"])
def assignment_upload(request, token):
    """
    Take the participant's upload and go back to their page with what became of it.

    A GET leads to the page: the link back from a refused form (an expired
    CSRF token, see `public_pages.views.csrf_failure`) points here.
    """
    participant = participant_from_token(token)
    page = reverse("public:participant", kwargs={"token": token}) + "#assignment-title"
    if request.method == "GET":
        return redirect(page)
    form = AssignmentUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose the file of your final assignment."))
    else:
        try:
            submit_final_assignment(participant=participant, upload=form.cleaned_data["file"])
        except MaterialsError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Your final assignment has been received. The trainer will review it."))
    return redirect(page)
