"""Validation and normalisation of Dutch education identifiers, KvK numbers, postcodes and phone numbers, in Dutch."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from stdnum.exceptions import ValidationError as NumberError
from stdnum.nl import postcode

BESTUURSNUMMER = re.compile(r"^[0-9]{5}$")
BRIN = re.compile(r"^[0-9]{2}[A-Z]{2}$")
SWV_CODE = re.compile(r"^(PO|VO)-[0-9]{2}-[0-9]{2}$")
DUTCH_PHONE = re.compile(r"^0[1-9][0-9]{8}$")


def validate_bestuursnummer(value: str) -> None:
    if not BESTUURSNUMMER.match(value):
        raise ValidationError(_("A bestuursnummer has exactly 5 digits, such as 77494."), code="bestuursnummer")


def validate_brin(value: str) -> None:
    if not BRIN.match(value):
        raise ValidationError(_("A BRIN code has 2 digits followed by 2 capital letters, such as 16SW."), code="brin")


def validate_swv_code(value: str) -> None:
    if not SWV_CODE.match(value):
        raise ValidationError(_("A samenwerkingsverband code looks like PO-22-02 or VO-22-02."), code="swv_code")


def normalize_brin(value: str) -> str:
    """Return a BRIN code without spaces, in capitals; '16sw' becomes '16SW'."""
    return re.sub(r"\s+", "", value or "").upper()


def normalize_swv_code(value: str) -> str:
    """Return a samenwerkingsverband code as PO-22-02, from 'po 22 02', 'PO2202' and the like."""
    compact = re.sub(r"[\s\-_.]+", "", value or "").upper()
    match = re.fullmatch(r"(PO|VO)([0-9]{2})([0-9]{2})", compact)
    return f"{match[1]}-{match[2]}-{match[3]}" if match else (value or "").strip().upper()


def normalize_phone(value: str) -> str:
    """
    Return a Dutch phone number as ten digits starting with 0, or raise.

    Accepts spaces, dashes, dots, parentheses and the +31 or 0031 prefixes:
    '+31 (0)6-1234 5678' becomes '0612345678'.
    """
    compact = re.sub(r"[\s\-.()/]+", "", value or "")
    if compact.startswith("+31"):
        compact = compact[3:]
    elif compact.startswith("0031"):
        compact = compact[4:]
    if not compact.startswith("0"):
        compact = "0" + compact
    if not DUTCH_PHONE.match(compact):
        raise ValidationError(
            _("Enter a Dutch phone number of 10 digits, such as 030 123 4567 or 06 1234 5678."), code="phone"
        )
    return compact


# --- Register numbers: typed as people type them, kept as text -----------------
#
# People type a register number with spaces, dots or hyphens ("0123 4567",
# "0123.4567", "0123-4567"): those go, and what is left is kept as text so that
# its leading zeros survive. What a number of a register looks like is that
# register's own rule, data in the registry (RegisterRule), checked where the
# register is known: the participant's page and the register export. Here,
# behind every door (the admin, any model's full_clean()), a number is only
# refused when it holds something no register number holds: a character that
# is not a letter or a digit. The stored numbers were normalised by cohorts
# migration 0009.

# Letters and digits as a keyboard types them: not the digits of other scripts, which no register uses.
REGISTER_NUMBER_CHARACTERS = re.compile(r"^[0-9A-Za-z]+$")
# Spaces (also non-breaking), dots, and the hyphens and dashes a keyboard or a copied text gives.
REGISTER_NUMBER_SEPARATORS = re.compile(r"[\s.\-\u2010-\u2015\u2212]+")
REGISTER_NUMBER_MESSAGE = _("A register number consists of letters and digits only; leading zeros are kept.")


def compact_register_number(value: str) -> str:
    """Return a register number without the separators people type; never raises."""
    return REGISTER_NUMBER_SEPARATORS.sub("", value or "")


def validate_register_number(value: str) -> None:
    """Refuse anything but letters and digits (a blank field is the model's `blank=True`)."""
    if not REGISTER_NUMBER_CHARACTERS.match(value or ""):
        raise ValidationError(REGISTER_NUMBER_MESSAGE, code="register_number")


def normalize_register_number(value: str) -> str:
    """Return a register number without spaces, dots or hyphens, keeping leading zeros, or raise."""
    compact = compact_register_number(value)
    if compact:
        validate_register_number(compact)
    return compact


class RegisterNumberFormField(forms.CharField):
    """A form field that accepts a register number as typed and cleans it to its letters and digits."""

    default_validators = [validate_register_number]

    def to_python(self, value):
        return compact_register_number(super().to_python(value))


class RegisterNumberField(models.CharField):
    """
    A register number column: normalised by `full_clean()` (its `to_python`),
    validated as letters and digits, and edited with `RegisterNumberFormField` in every
    ModelForm, the admin's included.
    """

    default_validators = [validate_register_number]

    def to_python(self, value):
        return compact_register_number(super().to_python(value))

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": RegisterNumberFormField, **kwargs})


def validate_kvk_number(value: str) -> None:
    # The Chamber of Commerce publishes no check digit for its numbers since
    # 2016 (python-stdnum has no module for them): eight digits is the rule.
    if not re.fullmatch(r"\d{8}", value):
        raise ValidationError(_("A KvK number has eight digits, such as 12345678."), code="kvk")


def validate_postcode(value: str) -> None:
    try:
        postcode.validate(value)
    except NumberError:
        raise ValidationError(_("This is not a valid Dutch postcode, such as 3511 AB."), code="postcode") from None
