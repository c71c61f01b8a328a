# The registry's accreditation fixture, for the tests of what the registry records here.
from registry.tests.conftest import accreditation  # noqa: F401
