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


def participant_page_urls(participants) -> dict[int, str]:
    """
    The page links of many participants by id, as `participant_page_url` makes each: the route reversed once.

    A token is URL-safe (its key and signature are URL-safe base64, joined by ":"), so reversing it puts it in
    the path as it is.
    """
    head, _placeholder, tail = reverse("public:participant", kwargs={"token": "TOKEN"}).rpartition("TOKEN")
    prefix = settings.SITE_URL + head
    return {p.pk: prefix + tokens.make_token(p.access_key, tokens.PARTICIPANT) + tail for p in participants}
