import pytest

from cohorts.tests.conftest import member, office, trainer  # noqa: F401 (fixtures)


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    """Every test stores its private files in a folder of its own."""
    settings.PRIVATE_FILES_ROOT = tmp_path / "private"
    return settings.PRIVATE_FILES_ROOT
