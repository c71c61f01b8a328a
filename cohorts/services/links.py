"""The personal links that boards and participants receive."""

import logging

from django.conf import settings
from django.urls import reverse

from .. import tokens
from ..models import (
    Participant,
    Registration,
)

logger = logging.getLogger(__name__)


def board_page_url(registration: Registration) -> str:
    token = tokens.make_token(registration.access_key, tokens.BOARD)
    return settings.SITE_URL + reverse("public:board", kwargs={"token": token})


def enrolment_url(registration: Registration) -> str:
    token = tokens.make_token(registration.enrolment_key, tokens.ENROLMENT)
    return settings.SITE_URL + reverse("public:enrol", kwargs={"token": token})


def participant_page_url(participant: Participant) -> str:
    token = tokens.make_token(participant.access_key, tokens.PARTICIPANT)
    return settings.SITE_URL + reverse("public:participant", kwargs={"token": token})
