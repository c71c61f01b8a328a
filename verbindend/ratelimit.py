"""A fixed-window rate limit in Django's cache (Redis in production, shared by all processes)."""

import hashlib

from django.conf import settings
from django.core.cache import cache


def client_address(request) -> str:
    """Return the client's IP address, trusting X-Forwarded-For only for the configured proxies."""
    proxies = settings.RATELIMIT_TRUSTED_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def over_limit(*, scope: str, request, limit: int, window: int) -> bool:
    """
    Count this request; return True when the client made more than `limit` in the current window.

    Call it only for what the limit is for, a valid submission that would
    write: a form returned with errors is an honest attempt and must not use
    up the limit (see cohorts.views.registration and enrol).
    """
    # The address is hashed: the cache holds no personal data in the clear.
    digest = hashlib.sha256(client_address(request).encode()).hexdigest()[:32]
    key = f"ratelimit:{scope}:{digest}"
    if cache.add(key, 1, timeout=window):
        return limit < 1
    try:
        return cache.incr(key) > limit
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window)
        return False
