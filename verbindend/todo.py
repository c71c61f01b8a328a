"""
The staff's to-do list on the admin start page: one line for each thing still to do, linking to where it is done.

Each app adds what it knows is to do by registering a provider (in its
AppConfig.ready): a function of the request that returns its lines, reading
them in a fixed number of queries and only for a user who may do them. The
start page shows every app's lines together, the oldest or most urgent first.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest


@dataclass(frozen=True)
class ToDo:
    subject: str  # what it is about: a run's code, a board's name
    detail: str  # what is known of it: its state, since when
    action: str  # what to do, as the link's words
    url: str  # where it is done
    since: datetime.date | None = None  # the oldest first; None at the end


Provider = Callable[[HttpRequest, datetime.date], list[ToDo]]
_providers: list[Provider] = []


def provider(function: Provider) -> Provider:
    """Register a function that returns its app's to-dos for a request (as a decorator)."""
    if function not in _providers:
        _providers.append(function)
    return function


def to_do(request: HttpRequest, *, today: datetime.date) -> list[ToDo]:
    """Return every app's to-dos for this user, the oldest first."""
    lines = [line for function in _providers for line in function(request, today)]
    return sorted(lines, key=lambda line: (line.since is None, line.since or datetime.date.max))
