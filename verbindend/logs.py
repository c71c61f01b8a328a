"""
Log formatting for every process: plain or JSON, and never a personal link.

A personal link (`/bestuur/<token>/`, `/inschrijven/...`, `/deelnemer/...`,
`/agenda/...`) is a key to a board's, a leader's or the trainer's data, so no
log line may carry one: Django's request logging ("Not Found: /bestuur/...")
and tracebacks pass the formatters below, and gunicorn's access and error
log pass `RedactingGunicornLogger` (verbindend/gunicorn.conf.py). The path
stays readable up to the key, which is replaced by `[link]`.
"""

import json
import logging
import re

from verbindend.personal import PERSONAL_PREFIXES

REDACTED = "[link]"
# The key is the path segment after a personal prefix, also inside a referer,
# a query string (?next=%2Fbestuur%2F...) or an exception's message.
_SLASH = r"(?:/|%2[fF])"
_KEY = r"[^/?#&\s\"'<>%]+(?:%3[aA][^/?#&\s\"'<>%]*)*"  # a signed key: letters, digits, - _ and its ':' (%3A)
PERSONAL_LINK = re.compile(rf"({_SLASH}(?:{'|'.join(PERSONAL_PREFIXES)}){_SLASH})(?!\[link\]){_KEY}")


def redact(text: str) -> str:
    """Return the text with the key of every personal link in it replaced."""
    return PERSONAL_LINK.sub(rf"\1{REDACTED}", text) if isinstance(text, str) else text


class RedactingFormatter(logging.Formatter):
    """Django's plain format, with personal links redacted from the message and any traceback."""

    def format(self, record):
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors. Messages carry ids, never names, addresses or links."""

    def format(self, record):
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class RedactingFilter(logging.Filter):
    """Redact a record in place, for loggers whose handlers and formatters are not ours (gunicorn's)."""

    def filter(self, record):
        record.msg = redact(record.getMessage())
        record.args = ()
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def gunicorn_logger_class():
    """Gunicorn's logger, with every access-log atom and error-log line redacted; imported by gunicorn only."""
    from gunicorn.glogging import Logger

    class RedactingGunicornLogger(Logger):
        def atoms(self, resp, req, environ, request_time):
            # Every atom a format may use: the request line, path, query,
            # referer, and each request header and environ variable.
            return {key: redact(value) for key, value in super().atoms(resp, req, environ, request_time).items()}

        def setup(self, cfg):
            super().setup(cfg)
            for log in (self.error_log, self.access_log):
                if not any(isinstance(f, RedactingFilter) for f in log.filters):
                    log.addFilter(RedactingFilter())

    return RedactingGunicornLogger
