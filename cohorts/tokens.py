"""
The personal links: /bestuur/<token>/, /inschrijven/<token>/, /deelnemer/<token>/.

A token is a random key (stored on its row) signed for one purpose. A forged
or truncated token fails the signature before any query; a token of one kind
never opens a page of another kind; rotating the key revokes the old links.
"""

from django.core import signing

BOARD = "cohorts.board-page"
ENROLMENT = "cohorts.enrolment"
PARTICIPANT = "cohorts.participant-page"
CALENDAR = "cohorts.trainer-calendar"


def make_token(key: str, purpose: str) -> str:
    return signing.Signer(salt=purpose).sign(key)


def read_token(token: str, purpose: str) -> str | None:
    """Return the key in a valid token of this purpose, or None."""
    try:
        return signing.Signer(salt=purpose).unsign(token)
    except signing.BadSignature:
        return None
