"""What every CSV and XLSX the product writes shares."""

import re

# A cell starting with one of these could run as a formula in Excel or LibreOffice.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# An e-mail address as people have them (letters, digits, . _ % + - before the @) is no formula even when it starts
# with + or -: LibreOffice reads "+a@b.nl" and "-jan@school.nl" as text (registry/tests/test_exports_libreoffice.py),
# and without ( | ! ' or a space nothing in it can call a function or another program. So it is written as it is:
# an apostrophe would be part of the address for the program that reads the file. "=jan@school.nl" stays quoted:
# LibreOffice makes that a formula.
_PLAIN_EMAIL = re.compile(r"[+-][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


def could_run(text: str) -> bool:
    """Whether a spreadsheet program could take this text for a formula."""
    return text.startswith(FORMULA_STARTS) and not _PLAIN_EMAIL.fullmatch(text)


def safe_cell(value) -> str:
    """Return the value as text that can never become a formula: a leading apostrophe where it could run."""
    text = "" if value is None else str(value)
    return "'" + text if could_run(text) else text
