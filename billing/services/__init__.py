"""Billing's services, by subdomain: `pricing` (what each board pays, the terms) and `invoicing`."""
