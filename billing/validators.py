"""Validators for the provider's identifiers, with python-stdnum where it knows the number."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import iban
from stdnum.exceptions import ValidationError as NumberError
from stdnum.nl import btw

# A board's numbers are the board's (cohorts); the provider's and the offers' fields, and their migrations, name
# them here too.
from cohorts.validators import validate_kvk_number, validate_postcode  # noqa: F401


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
