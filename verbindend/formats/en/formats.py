"""English, as read in the Netherlands: the 24-hour clock ("09:30", not "9:30 a.m."), also in forms."""

from django.conf.locale.en import formats as django

TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j F Y, H:i"
TIME_INPUT_FORMATS = ["%H:%M", *(f for f in django.TIME_INPUT_FORMATS if f != "%H:%M")]
DATETIME_INPUT_FORMATS = ["%Y-%m-%d %H:%M", *(f for f in django.DATETIME_INPUT_FORMATS if f != "%Y-%m-%d %H:%M")]
