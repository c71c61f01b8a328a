"""
Headers for personal responses: pages, feeds and files behind a personal link or a staff login.

Every response of a URL with a personal link in it (a `<token>` in its
path: a board's, leader's, participant's or the trainer's calendar link),
whatever its kind (HTML, .ics, JSON, PDF) and status, gets them from the
middleware; a staff download outside the admin's own views takes the
decorator. They say:

- `Cache-Control: no-store, private`: no browser, proxy or calendar cache
  keeps a copy (a shared computer in a school, a company proxy);
- `X-Robots-Tag: noindex, nofollow`: a link that leaked to a search engine
  is never listed, whatever the content type (a robots meta tag only works
  in HTML).
"""

import re
from functools import wraps

from django.utils.cache import add_never_cache_headers, patch_cache_control

ROBOTS = "noindex, nofollow"
# The paths whose next segment is a personal link (cohorts/urls.py, registry/urls.py), for responses that
# never reached a view, such as a 404 for a mistyped path under one; verbindend/logs.py redacts the same.
PERSONAL_PREFIXES = ("bestuur", "inschrijven", "deelnemer", "agenda", "evaluatie")
PERSONAL_PATH = re.compile(rf"^/(?:{'|'.join(PERSONAL_PREFIXES)})/")


def mark_personal(response):
    add_never_cache_headers(response)  # no-cache, no-store, must-revalidate, private, max-age=0
    patch_cache_control(response, private=True, no_store=True)
    response["X-Robots-Tag"] = ROBOTS
    return response


def personal(view):
    """Mark every response of this view personal (for views without a personal link in their URL)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        return mark_personal(view(request, *args, **kwargs))

    return wrapper


class PersonalResponseMiddleware:
    """Mark personal every response of a URL that carries a personal link, errors included."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if (match is not None and "token" in match.kwargs) or PERSONAL_PATH.match(request.path_info):
            mark_personal(response)
        return response
