"""
Where the private files live: under PRIVATE_FILES_ROOT, apart from the static files and MEDIA_ROOT.

The storage has no URL: a file is only ever handed out by a view that
checked who asks (the participant's personal link, or staff in the admin).
The location is read from the settings each time, so a test that points it
elsewhere (`settings.PRIVATE_FILES_ROOT = tmp_path`) is obeyed.
"""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    """A FileSystemStorage under PRIVATE_FILES_ROOT, without a public URL."""

    @property
    def base_location(self):
        return str(settings.PRIVATE_FILES_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    @property
    def base_url(self):
        return None

    def url(self, name):
        raise ValueError("Private files have no URL; they are served by a view that checks who asks.")


def private_storage() -> PrivateStorage:
    return PrivateStorage()
