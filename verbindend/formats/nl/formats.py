"""Dutch: times as "09:30" in forms too; everything else is Django's nl formats."""

from django.conf.locale.nl import formats as django

TIME_FORMAT = "H:i"
TIME_INPUT_FORMATS = ["%H:%M", *(f for f in django.TIME_INPUT_FORMATS if f != "%H:%M")]
DATETIME_INPUT_FORMATS = ["%d-%m-%Y %H:%M", *(f for f in django.DATETIME_INPUT_FORMATS if f != "%d-%m-%Y %H:%M")]
