"""
Django admin's messages that put "de" before a model's name, to be worded without it.

Django's Dutch writes "De {name} ‘{obj}’ is met succes gewijzigd" for every
model, so a saved intake read "De intakegesprek" (it is "het") and a
certificate "De certificaat". The project's catalogue (LOCALE_PATHS) wins
over Django's; these msgids are listed here so that makemessages keeps them,
and locale/nl words them without an article ("Gewijzigd: intakegesprek …").
Nothing imports this module: it is read by makemessages only.
"""

from django.utils.translation import gettext_noop

ADMIN_MESSAGES = [
    gettext_noop("The {name} “{obj}” was added successfully."),
    gettext_noop("You may edit it again below."),
    gettext_noop("The {name} “{obj}” was added successfully. You may add another {name} below."),
    gettext_noop("The {name} “{obj}” was changed successfully. You may edit it again below."),
    gettext_noop("The {name} “{obj}” was changed successfully. You may add another {name} below."),
    gettext_noop("The {name} “{obj}” was changed successfully."),
    gettext_noop("The %(name)s “%(obj)s” was deleted successfully."),
]
