from cohorts.tests.conftest import member, office, trainer  # noqa: F401 (fixtures)
