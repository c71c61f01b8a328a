"""
The project's own date and time formats (FORMAT_MODULE_PATH), on top of Django's per language.

Django puts a time's seconds first among the input formats, and a form
shows a value in the first one: every time field in the admin read
"09:30:00". Here a time is written as a Dutch office writes it, "09:30",
in both languages; what Django already reads ("9.30", "09:30:00") is still read.
"""
