"""Billing in the admin, a module for each part; importing them registers their models."""

from . import invoices, offers, prices  # noqa: F401
