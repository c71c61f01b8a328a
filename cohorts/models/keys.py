"""The random keys in the links people are sent (board page, enrolment, participant page, calendar feed)."""

import secrets


def new_access_key() -> str:
    return secrets.token_urlsafe(24)
