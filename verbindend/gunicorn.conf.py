"""
gunicorn's configuration, used by the Procfile and deploy/verbindend-web.service (`--config`).

- bind: where the reverse proxy reaches gunicorn, 127.0.0.1 by default, so
  that nobody reaches it past the proxy (which alone may set X-Forwarded-For,
  see RATELIMIT_TRUSTED_PROXIES). `BIND` sets it (e.g. `10.0.0.12:8000` for a
  proxy on another machine, or `0.0.0.0:$PORT` on a platform whose router is
  the proxy); otherwise `PORT` (8000) on 127.0.0.1.
- the access log goes to standard output with every personal link redacted
  (verbindend/logs.py); so does gunicorn's error log.
"""

import os

from verbindend.logs import gunicorn_logger_class

bind = [os.environ.get("BIND") or f"127.0.0.1:{os.environ.get('PORT') or 8000}"]
workers = int(os.environ.get("WEB_CONCURRENCY") or 4)
accesslog = "-"
errorlog = "-"
logger_class = gunicorn_logger_class()
