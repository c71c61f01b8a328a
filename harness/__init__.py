"""
The processes that tests and benchmarks start: Celery workers, SMTP servers, gunicorn, and PostgreSQL and Redis
servers of their own. Written once and knowing nothing of the product: every app, command and environment is passed
in. Each starts on a free port of 127.0.0.1, waits until it answers, and writes its output to a log file.
"""

from .mail import RecordingSMTP, SinkSMTP
from .process import Process, answers, free_port, http_ok, wait_until
from .servers import CeleryWorker, Gunicorn, PrivatePostgres, PrivateRedis, scratch_database

__all__ = [
    "CeleryWorker",
    "Gunicorn",
    "PrivatePostgres",
    "PrivateRedis",
    "Process",
    "RecordingSMTP",
    "SinkSMTP",
    "answers",
    "free_port",
    "http_ok",
    "scratch_database",
    "wait_until",
]
