"""The registry's shared test data, for the verification and certificate pages."""

from registry.tests.conftest import accreditation, media  # noqa: F401 (fixtures)
