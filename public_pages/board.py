"""The board's pages: the board page with its offers and participants, a participant's details, and self-enrolment."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from billing import selectors as billing_selectors
from billing.models import Offer
from billing.services import offers as offer_services
from cohorts import selectors, tokens
from cohorts.forms import ParticipantForm
from cohorts.models import Cohort, Participant, Registration
from cohorts.services import enrolment
from evaluations import selectors as evaluation_selectors
from registry import selectors as registry_selectors
from verbindend.ratelimit import over_limit

from .access import int_or_404, registration_from_token
from .enrolment_forms import PasteParticipantsForm, SelfEnrolmentForm
from .forms import OfferAcceptanceForm

HOUR = 3600
PASTE_PENDING = "board-paste-pending"


@dataclass
class _BoardForms:
    """The board page's forms as an action leaves them, and the registration the action was for."""

    add: ParticipantForm
    paste: PasteParticipantsForm
    preview: list | None = None  # the pasted rows, parsed
    target: Registration | None = None
    accept: OfferAcceptanceForm | None = None  # an acceptance sent back with its errors


@never_cache
@require_http_methods(["GET", "POST"])
def board_page(request, token):
    """
    The board contact's one page: all their registrations of the board, with intakes, runs and participants.

    Every action names the registration it is for (the run chosen on the
    page); it must be one of this contact's, never another contact's
    registration of the same board (see `selectors.contacts_registrations`).
    """
    registration = registration_from_token(token, tokens.BOARD)
    sector = registration.board.sector
    page = selectors.board_page(registration)
    forms = _BoardForms(
        add=ParticipantForm(sector=sector, prefix="add"), paste=PasteParticipantsForm(sector=sector, prefix="paste")
    )
    if request.method == "POST":
        action = _BOARD_ACTIONS.get(request.POST.get("action"))
        if action is None:
            raise Http404
        response = action(request, page=page, forms=forms)
        if response is not None:
            return response
    else:
        _restore_pending_paste(request, page=page, forms=forms)
    # Which of the leaders a register expects a number of, and whether it is in: the rule the export reads.
    states = registry_selectors.register_number_states(p for run in page.runs for p in run.participants)
    for run in page.runs:
        for participant in run.participants:
            participant.register_state = states[participant.pk]
        # Once the run is under way: its evaluation as the boards may see it (nothing below the threshold).
        run.evaluated = run.cohort.status in (Cohort.Status.RUNNING, Cohort.Status.COMPLETED)
        run.evaluation = evaluation_selectors.board_results(run.cohort) if run.evaluated else None
    offers = offer_services.board_page_offers(page.registration_ids)
    runs = page.changeable_runs
    target = forms.target
    chosen = target.pk if target is not None else (runs[0].registration.pk if runs else None)
    return render(
        request,
        "public_pages/board.html",
        {
            "page": page,
            "registration": page.registration,
            "changeable_runs": runs,
            "chosen_registration": chosen,
            "add_form": forms.add,
            "paste_form": forms.paste,
            "preview": forms.preview,
            "preview_valid": sum(1 for row in forms.preview or [] if row.valid),
            "token": token,
            "offers": _offer_sections(page, offers, forms.accept),
            "invoices": billing_selectors.board_invoices(page.registration_ids),
        },
    )


def _offer_sections(page: selectors.BoardPage, offers: dict, sent_back: OfferAcceptanceForm | None) -> list[dict]:
    """Return each live offer of the contact's registrations, newest registration first, with its acceptance form."""
    sections = []
    today = timezone.localdate()
    for registration in page.registrations:
        offer = offers.get(registration.pk)
        if offer is None:
            continue
        form = None
        expired = offer.is_open and offer.valid_until < today
        if offer.is_open and not expired:
            sent_back_here = sent_back is not None and sent_back.data.get("accept-offer") == str(offer.pk)
            initial = _acceptance_initial(offer, registration)
            form = sent_back if sent_back_here else OfferAcceptanceForm(initial=initial)
        sections.append({"offer": offer, "registration": registration, "form": form, "expired": expired})
    return sections


def _acceptance_initial(offer, registration: Registration) -> dict:
    return {"offer": offer.pk, "invoice_address": offer.buyer_address, "invoice_email": registration.contact_email}


def _accept_offer(request, *, page: selectors.BoardPage, forms: _BoardForms) -> HttpResponse | None:
    """
    Accept one of the contact's offers with the details given; None to show the page with the form's errors.

    An offer of another registration (another board's, or another contact's)
    is a 404, as if it did not exist; one that can no longer be accepted is
    refused with the service's message.
    """
    forms.accept = OfferAcceptanceForm(request.POST)
    offer = _own_offer(page.registration_ids, request.POST.get("accept-offer"))
    if not forms.accept.is_valid():
        return None
    try:
        offer_services.accept_offer(offer=offer, data=forms.accept.cleaned_data, request=request)
    except offer_services.OfferError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _(
                "Thank you: you accepted version %(version)s of offer %(number)s. "
                "A confirmation is on its way by e-mail."
            )
            % {"version": offer.version, "number": offer.number},
        )
    return redirect(request.path + "#offers")


def _own_offer(registration_ids, offer_id) -> Offer:
    return get_object_or_404(
        Offer.objects.select_related("registration"), pk=int_or_404(offer_id), registration__in=registration_ids
    )


def _add_participant(request, *, page: selectors.BoardPage, forms: _BoardForms) -> HttpResponse | None:
    """Enrol the participant of the add form; None to show the page again with the form's errors."""
    forms.target = _target_registration(page, request.POST.get("registration"))
    forms.add = ParticipantForm(request.POST, sector=page.board.sector, prefix="add")
    if not forms.add.is_valid():
        return None
    try:
        participant = enrolment.enroll_participant(
            registration=forms.target, data=forms.add.cleaned_data, language=page.registration.language
        )
    except enrolment.EnrolmentError as error:
        forms.add.add_error(None, str(error))
        return None
    _report_enrolment(request, [participant])
    return redirect(request.path)


def _paste_participants(request, *, page: selectors.BoardPage, forms: _BoardForms) -> HttpResponse | None:
    """
    Show the pasted rows as they would be added, or on confirmation enrol the valid ones.

    The rows that could not be added stay in the box, to be corrected.
    """
    forms.target = _target_registration(page, request.POST.get("registration"))
    forms.paste = _paste_form(request.POST, target=forms.target, sector=page.board.sector)
    if not forms.paste.is_valid():
        return None
    forms.preview = forms.paste.parsed_rows()
    valid = [row.data for row in forms.preview if row.valid]
    if request.POST.get("action") != "paste_confirm" or not valid:
        return None
    try:
        saved = enrolment.enroll_participants(
            registration=forms.target, rows=valid, language=page.registration.language
        )
    except enrolment.EnrolmentError as error:
        forms.paste.add_error(None, str(error))
        return None
    _report_enrolment(request, saved)
    failed = [row for row in forms.preview if not row.valid]
    if not failed:
        return redirect(request.path)
    request.session[PASTE_PENDING] = {"registration": forms.target.pk, "rows": forms.paste.rows_text(failed)}
    messages.warning(
        request,
        ngettext(
            "%(count)s row could not be added; it is still in the box below, to be corrected.",
            "%(count)s rows could not be added; they are still in the box below, to be corrected.",
            len(failed),
        )
        % {"count": len(failed)},
    )
    return redirect(request.path + "#paste")


def _withdraw_participant(request, *, page: selectors.BoardPage, forms: _BoardForms) -> HttpResponse:
    participant = _own_participant(page.registration_ids, request.POST.get("participant"))
    try:
        promoted = enrolment.withdraw_participant(participant=participant)
    except enrolment.EnrolmentError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(name)s has been withdrawn.") % {"name": participant.full_name})
        if promoted and promoted.registration_id in page.registration_ids:
            messages.info(request, _("%(name)s moved up from the waiting list.") % {"name": promoted.full_name})
    return redirect(request.path)


# Each action of the board page: a redirect when it is done, None to show the page with its forms.
_BOARD_ACTIONS = {
    "add": _add_participant,
    "paste": _paste_participants,
    "paste_confirm": _paste_participants,
    "withdraw": _withdraw_participant,
    "accept_offer": _accept_offer,
}


def _restore_pending_paste(request, *, page: selectors.BoardPage, forms: _BoardForms) -> None:
    """Put back in the box the rows a confirmed paste could not add, parsed again, for their registration."""
    pending = request.session.pop(PASTE_PENDING, None)
    if not pending or pending.get("registration") not in page.registration_ids:
        return
    forms.target = next(item for item in page.registrations if item.pk == pending["registration"])
    forms.paste = _paste_form({"paste-rows": pending["rows"]}, target=forms.target, sector=page.board.sector)
    if forms.paste.is_valid():
        forms.preview = forms.paste.parsed_rows()


def _paste_form(data, *, target: Registration, sector: str) -> PasteParticipantsForm:
    taken = selectors.participant_emails_in_run(target.cohort_id) if target.cohort_id else []
    return PasteParticipantsForm(data, sector=sector, prefix="paste", taken_emails=taken)


def _target_registration(page: selectors.BoardPage, value) -> Registration:
    """
    Return the registration an action is for: one of this contact's, or 404.

    Without a choice (a single run on the page, or an older form) it is the
    registration of the link, or else the newest of the contact's in a run.
    """
    if value in (None, ""):
        if page.registration.cohort_id:
            return page.registration
        placed = [item for item in page.registrations if item.cohort_id]
        if not placed:
            return page.registration
        return placed[0]
    registration_id = int_or_404(value)
    for item in page.registrations:
        if item.pk == registration_id and item.status != Registration.Status.CANCELLED:
            return item
    raise Http404


def _own_participant(registration_ids, participant_id) -> Participant:
    """Return a participant of one of these registrations (the contact's), or 404: a link never reaches another's."""
    try:
        participant_id = int(participant_id)
    except (TypeError, ValueError):
        raise Http404 from None
    return get_object_or_404(
        Participant.objects.select_related("registration"), pk=participant_id, registration__in=registration_ids
    )


def _report_enrolment(request, participants: list[Participant]) -> None:
    enrolled = sum(1 for p in participants if p.status == Participant.Status.ENROLLED)
    waiting = len(participants) - enrolled
    if enrolled:
        messages.success(
            request,
            ngettext(
                "%(count)s participant enrolled; they receive a welcome e-mail.",
                "%(count)s participants enrolled; they receive a welcome e-mail.",
                enrolled,
            )
            % {"count": enrolled},
        )
    if waiting:
        messages.warning(
            request,
            ngettext(
                "The course run is full: %(count)s participant is on the waiting list.",
                "The course run is full: %(count)s participants are on the waiting list.",
                waiting,
            )
            % {"count": waiting},
        )


@never_cache
@require_http_methods(["GET", "POST"])
def participant_edit(request, token, participant_id):
    registration = registration_from_token(token, tokens.BOARD)
    own = selectors.contacts_registrations(registration).values_list("pk", flat=True)
    participant = _own_participant(list(own), participant_id)
    form = ParticipantForm(request.POST or None, instance=participant, sector=registration.board.sector)
    if request.method == "POST" and form.is_valid():
        try:
            enrolment.update_participant(participant=participant, data=form.cleaned_data)
        except enrolment.EnrolmentError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The details of %(name)s have been saved.") % {"name": participant.full_name})
            return redirect("public:board", token=token)
    return render(
        request,
        "public_pages/participant_edit.html",
        {"form": form, "participant": participant, "registration": registration, "token": token},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def enrol(request, token):
    registration = registration_from_token(token, tokens.ENROLMENT)
    form = SelfEnrolmentForm(request.POST or None, sector=registration.board.sector)
    rate_limited = False
    if request.method == "POST" and form.is_valid():
        # As on the registration form: only a valid enrolment counts, and over
        # the limit the form comes back with what was typed.
        rate_limited = over_limit(scope="enrolment", request=request, limit=settings.ENROLMENT_RATE_LIMIT, window=HOUR)
        if not rate_limited:
            try:
                participant = enrolment.enroll_participant(
                    registration=registration,
                    data=form.cleaned_data,
                    language=get_language(),
                    consent_form="inschrijven",
                )
            except enrolment.EnrolmentError as error:
                form.add_error(None, str(error))
            else:
                # The thank-you page says which e-mail brings the personal link;
                # the link itself is never shown to whoever holds the enrolment
                # link. The session keeps the id, not the address.
                request.session["enrolled_waiting"] = participant.status == Participant.Status.WAITING
                request.session["enrolled_participant"] = participant.pk
                return redirect("public:enrol_thanks", token=token)
    page = selectors.enrolment_page(registration.pk)
    return render(
        request,
        "public_pages/enrol.html",
        {
            "form": form,
            "registration": page,
            "cohort": page.cohort,
            "days": page.cohort.days.all() if page.cohort else [],
            "rate_limited": rate_limited,
        },
        status=429 if rate_limited else 200,
    )


@never_cache
def enrol_thanks(request, token):
    registration = registration_from_token(token, tokens.ENROLMENT)
    enrolled = (
        Participant.objects.filter(pk=request.session.get("enrolled_participant"), registration=registration)
        .values_list("email", flat=True)
        .first()
    )
    return render(
        request,
        "public_pages/enrol_thanks.html",
        {
            "registration": registration,
            "waiting": request.session.get("enrolled_waiting", False),
            "email": enrolled or "",
        },
    )
