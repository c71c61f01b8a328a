"""The Dutch catalogue is complete, compiled, and in step with the source."""

import gettext
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import IN_CI

ROOT = Path(__file__).resolve().parents[2]
NL_PO = ROOT / "locale" / "nl" / "LC_MESSAGES" / "django.po"
NL_MO = NL_PO.with_suffix(".mo")


def parse_po(path: Path) -> list[dict]:
    """Return the catalogue's entries: msgctxt, msgid, msgid_plural, msgstr list, flags."""
    entries, entry, field = [], None, None

    def unquote(text):
        return text.strip()[1:-1].encode("raw_unicode_escape").decode("unicode_escape")

    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if entry:
                entries.append(entry)
            entry, field = None, None
            continue
        if entry is None:
            entry = {"flags": [], "msgctxt": None, "msgid": "", "msgid_plural": None, "msgstr": []}
        if line.startswith("#,"):
            entry["flags"] += [flag.strip() for flag in line[2:].split(",")]
        elif line.startswith("#"):
            continue
        elif line.startswith("msgctxt "):
            field, entry["msgctxt"] = "msgctxt", unquote(line[8:])
        elif line.startswith("msgid_plural "):
            field, entry["msgid_plural"] = "msgid_plural", unquote(line[13:])
        elif line.startswith("msgid "):
            field, entry["msgid"] = "msgid", unquote(line[6:])
        elif line.startswith("msgstr"):
            field = "msgstr"
            entry["msgstr"].append(unquote(line.split(" ", 1)[1]))
        elif line.startswith('"'):
            if field == "msgstr":
                entry["msgstr"][-1] += unquote(line)
            else:
                entry[field] += unquote(line)
    return [e for e in entries if e["msgid"]]


def test_dutch_catalogue_has_no_untranslated_or_fuzzy_entry():
    entries = parse_po(NL_PO)
    assert len(entries) > 50
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    untranslated = [e["msgid"] for e in entries if not all(e["msgstr"])]
    assert not fuzzy, f"fuzzy entries in {NL_PO}: {fuzzy}"
    assert not untranslated, f"untranslated entries in {NL_PO}: {untranslated}"


def test_compiled_catalogue_matches_the_source_catalogue():
    with NL_MO.open("rb") as mo:
        translations = gettext.GNUTranslations(mo)
    for entry in parse_po(NL_PO):
        if entry["msgid_plural"] or entry["msgctxt"]:
            continue
        assert translations.gettext(entry["msgid"]) == entry["msgstr"][0], "run `make messages`"


def test_catalogue_holds_every_string_marked_in_the_source(tmp_path):
    """Extract the strings anew from a copy of the source; none may be missing."""
    if not shutil.which("xgettext"):
        if IN_CI:
            pytest.fail("GNU gettext is needed in CI")
        pytest.skip("GNU gettext (xgettext) is not installed")
    copy = tmp_path / "project"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "staticfiles", "media", "node_modules", "*.sqlite3", "__pycache__", "locale"
        ),
    )
    (copy / "locale").mkdir()
    env = {**os.environ, "DEBUG": "true"}
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "--locale", "nl", "--no-location"],
        cwd=copy,
        env=env,
        check=True,
        capture_output=True,
    )
    extracted = {(e["msgctxt"], e["msgid"]) for e in parse_po(copy / "locale/nl/LC_MESSAGES/django.po")}
    committed = {(e["msgctxt"], e["msgid"]) for e in parse_po(NL_PO)}
    assert not extracted - committed, f"not in the catalogue, run `make messages`: {sorted(extracted - committed)}"
