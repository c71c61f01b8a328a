"""A fixed-window rate limit in Django's cache (Redis in production, shared by all processes)."""

import hashlib
import ipaddress
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured


@lru_cache(maxsize=8)
def trusted_networks(proxies: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Parse RATELIMIT_TRUSTED_PROXIES: the proxies' own addresses or networks, e.g. 127.0.0.1,10.0.0.0/8."""
    networks = []
    for proxy in proxies:
        proxy = proxy.strip()
        # The setting once took a number of hops; "1" would now read as the address 0.0.0.1 and trust nobody
        # the operator meant, so it is refused with the way out.
        if not proxy or proxy.isdigit():
            raise ImproperlyConfigured(
                f"RATELIMIT_TRUSTED_PROXIES lists the proxies' addresses or networks "
                f"(e.g. 127.0.0.1,10.0.0.0/8), not a number of hops: {proxy!r}"
            )
        try:
            networks.append(ipaddress.ip_network(proxy, strict=False))
        except ValueError as error:
            raise ImproperlyConfigured(f"RATELIMIT_TRUSTED_PROXIES: {error}") from None
    return tuple(networks)


def _address(value: str):
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def client_address(request) -> str:
    """
    Return the client's IP address, trusting X-Forwarded-For only as far as trusted proxies wrote it.

    The peer (REMOTE_ADDR) is the client unless it is one of the trusted
    proxies; then the hop the proxy appended (the rightmost) is, unless that
    is a trusted proxy too, and so on leftwards. Whatever a client writes into
    the header itself stands left of the first untrusted hop and is never
    read, so a fresh forged address per request gains nothing; and a client
    that reaches gunicorn directly, past the proxy, is counted by its own
    address.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    networks = trusted_networks(tuple(settings.RATELIMIT_TRUSTED_PROXIES))
    if not networks:
        return remote

    def trusted(value) -> bool:
        address = _address(value)
        return address is not None and any(address in network for network in networks)

    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    client = remote
    for hop in reversed(hops):
        if not trusted(client):
            break
        if _address(hop) is None:
            # A trusted proxy wrote something that is no address: count under the proxy's, not under the text.
            break
        client = hop
    return client


def over_limit(*, scope: str, request, limit: int, window: int) -> bool:
    """
    Count this request; return True when the client made more than `limit` in the current window.

    Call it only for what the limit is for, a valid submission that would
    write: a form returned with errors is an honest attempt and must not use
    up the limit (see public_pages.views.registration and public_pages.board.enrol).
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
