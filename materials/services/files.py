"""Storing and removing private files alongside the rows that name them."""

from django.db import transaction

from ..storage import private_storage


def delete_after_commit(name: str) -> None:
    """Remove a stored file once the transaction that let go of it has committed (never a file still named)."""
    if name:
        transaction.on_commit(lambda: private_storage().delete(name))
