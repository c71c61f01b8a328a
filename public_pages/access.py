"""What a personal link opens: the signed key read for its purpose, or a plain 404."""

from django.http import Http404
from django.shortcuts import get_object_or_404

from cohorts import tokens
from cohorts.models import Participant, Registration


def registration_from_token(token: str, purpose: str) -> Registration:
    """Return the registration a board or enrolment link is for; a cancelled registration's links open nothing."""
    key = tokens.read_token(token, purpose)
    if key is None:
        raise Http404
    field = "access_key" if purpose == tokens.BOARD else "enrolment_key"
    return get_object_or_404(Registration.objects.exclude(status=Registration.Status.CANCELLED), **{field: key})


def participant_from_token(token: str, participants=None) -> Participant:
    """Return the participant whose personal link this is, one of `participants` (a queryset) when given."""
    key = tokens.read_token(token, tokens.PARTICIPANT)
    if key is None:
        raise Http404
    if participants is None:
        participants = Participant.objects.select_related("cohort__programme", "registration__board")
    return get_object_or_404(participants, access_key=key)


def int_or_404(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404 from None
