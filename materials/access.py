"""The participant a personal link is for, read as the participant page reads it, or a plain 404."""

from django.http import Http404
from django.shortcuts import get_object_or_404

from cohorts import tokens
from cohorts.models import Participant


def participant_from_token(token: str) -> Participant:
    key = tokens.read_token(token, tokens.PARTICIPANT)
    if key is None:
        raise Http404
    return get_object_or_404(Participant.objects.select_related("cohort__programme"), access_key=key)
