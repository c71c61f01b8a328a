"""
The registry of personal-data handlers: one per app that holds data about people.

A handler knows its own app's tables and nothing else. The privacy service
(`privacy.services`) asks every registered handler, in the order of the
PERSONAL_DATA_HANDLERS setting, for what it holds about a person, to erase
it, and to apply its retention periods. A duty written as one function that
knows every table forgets the table it does not know; a new app with personal
data adds its handler to the setting and is asked like the others.

People are named by a `Subject`: the record they are ("cohorts.participant"
and its key), and the addresses mail reached them at. Outbox rows record the
same keys in `about` (see `subject_key`).
"""

import datetime
from dataclasses import dataclass, field
from functools import cache

from django.conf import settings
from django.db import models
from django.utils.module_loading import import_string


def subject_key(record: models.Model | str) -> str:
    """Return the key a record is named by wherever it is stored: "app_label.model:pk"."""
    if isinstance(record, str):
        return record
    return f"{record._meta.label_lower}:{record.pk}"


@dataclass(frozen=True)
class Subject:
    """
    A person whose data is asked for or erased.

    :param label: the model they are a record of, "app_label.model"
    :param pk: that record's key
    :param addresses: the e-mail addresses they were written to at (for
        outbox rows queued before rows recorded whom they are about)
    """

    label: str
    pk: int
    addresses: tuple[str, ...] = field(default=())

    @classmethod
    def of(cls, record: models.Model, addresses: tuple[str, ...] = ()) -> "Subject":
        return cls(record._meta.label_lower, record.pk, addresses)

    @property
    def key(self) -> str:
        return f"{self.label}:{self.pk}"


@dataclass(frozen=True)
class Due:
    """
    People past their retention period, as one handler's records find them; erased, then counted as `name`.

    :param records: the records not erased yet (erasing one takes it out of this query)
    :param address_field: the field that holds the address mail reached them at
    """

    name: str
    records: models.QuerySet
    address_field: str = ""

    def take(self, batch: int) -> list[Subject]:
        """Return the next `batch` of these people, in one query."""
        label = self.records.model._meta.label_lower
        if not self.address_field:
            return [Subject(label, pk) for pk in self.records.values_list("pk", flat=True)[:batch]]
        rows = self.records.values_list("pk", self.address_field)[:batch]
        return [Subject(label, pk, (address,)) for pk, address in rows]


class PersonalDataHandler:
    """
    What one app holds about people; every method is optional.

    `erase` and `expire` must run in a bounded number of queries for any number
    of people: retention hands over thousands at a time.
    """

    #: The app this handler speaks for.
    app_label = ""

    def subject(self, record: models.Model) -> Subject | None:
        """Return the record as a Subject, if this app's records include it."""
        return None

    def export(self, subject: Subject) -> dict:
        """Return what this app holds about the person, as sections of JSON values."""
        return {}

    def erase(self, subjects: list[Subject], *, now: datetime.datetime) -> None:
        """Remove what this app holds about these people, keeping what the law says to keep."""

    def due(self, now: datetime.datetime) -> list[Due]:
        """Return the people of this app whose retention period has passed, by kind."""
        return []

    def expire(self, now: datetime.datetime, *, dry_run: bool) -> dict[str, int]:
        """Remove this app's own records past their period (not people: erased first); return counts by name."""
        return {}


@cache
def handlers() -> tuple[PersonalDataHandler, ...]:
    """Return the registered handlers, in the order of the setting."""
    return tuple(import_string(path)() for path in settings.PERSONAL_DATA_HANDLERS)
