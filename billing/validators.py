"""Validators for the provider's identifiers, with python-stdnum where it knows the number."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import iban
from stdnum.exceptions import ValidationError as NumberError
from stdnum.nl import btw, postcode


def validate_kvk_number(value: str) -> None:
    # The Chamber of Commerce publishes no check digit for its numbers since
    # 2016 (python-stdnum has no module for them): eight digits is the rule.
    if not re.fullmatch(r"\d{8}", value):
        raise ValidationError(_("A KvK number has eight digits, such as 12345678."), code="kvk")


def validate_vat_number(value: str) -> None:
    try:
        btw.validate(value)
    except NumberError:
        raise ValidationError(_("This is not a valid Dutch VAT number, such as NL000099998B57."), code="vat") from None


def validate_iban(value: str) -> None:
    try:
        iban.validate(value)
    except NumberError:
        raise ValidationError(_("This is not a valid IBAN."), code="iban") from None


def validate_postcode(value: str) -> None:
    try:
        postcode.validate(value)
    except NumberError:
        raise ValidationError(_("This is not a valid Dutch postcode, such as 3511 AB."), code="postcode") from None
