from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def validate_day_numbers(*, numbers: list[int], number_of_days: int) -> None:
    """
    Check that a programme's days are numbered 1..n, each once, with no gaps.

    :param numbers: the day numbers as entered, in any order
    :param number_of_days: n, the programme's number of days
    :raises ValidationError: with one specific message per problem
    """
    errors = []
    seen = set()
    for number in numbers:
        if number in seen:
            errors.append(_("Day %(number)s appears more than once.") % {"number": number})
        seen.add(number)
    beyond = sorted(n for n in seen if n > number_of_days)
    if beyond:
        errors.append(
            _("The programme has %(days)s days, so there is no day %(numbers)s.")
            % {"days": number_of_days, "numbers": ", ".join(str(n) for n in beyond)}
        )
    missing = [n for n in range(1, number_of_days + 1) if n not in seen]
    if missing:
        errors.append(
            _("Days must be numbered 1 to %(days)s without gaps; missing: %(numbers)s.")
            % {"days": number_of_days, "numbers": ", ".join(str(n) for n in missing)}
        )
    if errors:
        raise ValidationError(errors)
