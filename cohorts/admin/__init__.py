"""The staff pages of the course runs, one module per model family; importing them registers them."""

from . import days, forms, intakes, participants, registrations, runs  # noqa: F401
