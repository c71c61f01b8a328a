"""The Dutch catalogue is complete, compiled, and in step with the source."""

import datetime
import gettext
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.utils import translation

from conftest import IN_CI

ROOT = Path(__file__).resolve().parents[2]
NL_PO = ROOT / "locale" / "nl" / "LC_MESSAGES" / "django.po"
NL_MO = NL_PO.with_suffix(".mo")


def parse_po(path: Path) -> list[dict]:
    """Return the catalogue's entries, read by polib (not by Django, which wrote them): msgctxt, msgid, msgstr list."""
    entries = []
    for entry in polib.pofile(str(path)):
        if entry.obsolete:
            continue
        msgstr = [entry.msgstr_plural[n] for n in sorted(entry.msgstr_plural)] if entry.msgid_plural else [entry.msgstr]
        entries.append(
            {
                "flags": entry.flags,
                "msgctxt": entry.msgctxt,
                "msgid": entry.msgid,
                "msgid_plural": entry.msgid_plural or None,
                "msgstr": msgstr,
            }
        )
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


# --- Dates and times as a Dutch office writes them --------------------------

SOURCE_DIRS = [
    "templates",
    "audit",
    "cohorts",
    "mail",
    "privacy",
    "programme",
    "public_pages",
    "registry",
    "verbindend",
]


def source_files(*suffixes: str) -> list[Path]:
    return [
        path
        for folder in SOURCE_DIRS
        for path in (ROOT / folder).rglob("*")
        # The parts below the project only: the project's own folder may be called anything, "tests" too.
        if path.suffix in suffixes and not {"node_modules", "tests"} & set(path.relative_to(ROOT).parts)
    ]


def unescaped(format_string: str) -> str:
    """The format characters of a Django date format, its backslash-escaped letters taken out."""
    return re.sub(r"\\.", "", format_string)


def test_no_template_or_python_date_format_uses_m_which_title_cases_the_month():
    """Django's `M` writes "Feb" and `%b` writes English: a Dutch office writes "9 feb"; use `b`."""
    filters = re.compile(r"""\|\s*date\s*:\s*(?:"([^"]*)"|'([^']*)')""")
    calls = re.compile(r"""(?:date_format|dateformat\.format|time_format)\([^,()]+,\s*(?:"([^"]*)"|'([^']*)')""")
    settings_formats = re.compile(r"""^[A-Z_]*(?<!INPUT)_FORMAT\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.MULTILINE)
    found = {}
    for path in source_files(".html", ".txt", ".py"):
        text = path.read_text(encoding="utf-8")
        patterns = [filters] if path.suffix != ".py" else [calls, settings_formats]
        for pattern in patterns:
            for match in pattern.finditer(text):
                used = next(group for group in match.groups() if group is not None)
                found.setdefault(used, []).append(path.relative_to(ROOT))
        if path.suffix == ".py":
            assert not re.search(r"%b\b|:%[^}\"']*%b", text), f"{path}: %b writes an English month"
    assert found, "the scan found no date format at all"
    title_cased = {used: paths for used, paths in found.items() if "M" in unescaped(used)}
    assert not title_cased, title_cased
    assert "j b" in found or "D j b H:i" in found  # the scan does see the lead's `b` formats


@pytest.mark.usefixtures("fixed_clock")
def test_the_admin_start_page_writes_month_abbreviations_in_lower_case(admin_client):
    from django.utils import timezone
    from django.utils.formats import date_format

    from cohorts.tests.factories import CourseDayFactory, RawRegistrationFactory

    cohort = RawRegistrationFactory().cohort
    day = CourseDayFactory(cohort=cohort, date=timezone.localdate() + datetime.timedelta(days=10))
    page = admin_client.get("/admin/").content.decode()
    with translation.override("nl"):
        written = date_format(day.date, "j b")
    month = written.split()[1]
    assert month == month.lower() and f"{day.date.day} {month} " in page
    assert f"{day.date.day} {month.capitalize()} " not in page


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_admin_shows_times_without_seconds(admin_client, settings, language):
    """Django's first input format has the seconds: every time in the admin read "09:30:00"."""
    from cohorts.tests.factories import CourseDayFactory, RawRegistrationFactory

    cohort = RawRegistrationFactory().cohort
    CourseDayFactory(cohort=cohort, start_time=datetime.time(9, 30), end_time=datetime.time(16, 30))
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = admin_client.get(f"/admin/cohorts/cohort/{cohort.pk}/change/").content.decode()
    assert 'value="09:30"' in page and 'value="16:30"' in page
    assert not re.search(r"\b\d\d:\d\d:\d\d\b", page)


@pytest.mark.parametrize("typed", ["09:30", "9:30", "9.30", "09:30:00"])
def test_times_are_still_read_as_people_type_them(typed):
    from django import forms

    with translation.override("nl"):
        assert forms.TimeField().clean(typed) == datetime.time(9, 30)


def test_times_read_as_the_24_hour_clock_in_both_languages():
    from django.utils.formats import time_format

    for language in ("nl", "en"):
        with translation.override(language):
            assert time_format(datetime.time(14, 5)) == "14:05", language


def test_no_de_intakegesprek_in_the_catalogue_nor_in_django_admins_messages():
    """It is "het intakegesprek": Django's Dutch puts "De" before every model's name, ours puts none."""
    from django.utils.translation import gettext

    from verbindend.admin_wording import ADMIN_MESSAGES

    wrong = re.compile(r"\bde intakegesprek", re.IGNORECASE)
    assert not [e["msgstr"] for e in parse_po(NL_PO) if any(wrong.search(text) for text in e["msgstr"])]
    with translation.override("nl"):
        for msgid in ADMIN_MESSAGES:
            if "{name}" in msgid:
                written = gettext(msgid).format(name="intakegesprek", obj="Stichting Zuid · 12-01-2027 15:00")
            else:
                written = gettext(msgid) % {"name": "intakegesprek", "obj": "Stichting Zuid · 12-01-2027 15:00"}
            assert written != msgid and not wrong.search(written), written


def test_a_board_saved_in_the_admin_says_so_without_de(admin_client):
    """Through the admin itself: "De bestuur ‘…’ is met succes gewijzigd" was Django's wording (it is "het")."""
    from cohorts.tests.factories import BoardFactory

    board = BoardFactory()
    url = f"/admin/cohorts/board/{board.pk}/change/"
    form = admin_client.get(url).context["adminform"].form
    # What the browser sends back: each (sub)widget's rendered value, as a split date and time are.
    data = {}
    for name in form.fields:
        widget = form[name].field.widget.get_context(name, form[name].value(), {})["widget"]
        parts = widget.get("subwidgets", [widget])
        data.update({part["name"]: part["value"] for part in parts if part["value"] is not None})
    for context in admin_client.get(url).context["inline_admin_formsets"]:
        management = context.formset.management_form
        data.update({management.add_prefix(name): management[name].value() for name in management.fields})
    response = admin_client.post(url, data, follow=True)
    assert response.redirect_chain, response.context["adminform"].form.errors
    messages = [re.sub(r"<[^>]+>", "", str(message)) for message in response.context["messages"]]
    assert messages == [f"Gewijzigd: bestuur ‘{board}’."], messages


@pytest.mark.usefixtures("fixed_clock")  # the run's days have passed and the accreditation is valid
def test_the_certificate_e_mail_writes_the_kind_in_lower_case_inside_the_sentence(db, settings, tmp_path):
    """ "Uw Certificaat" read as a title in the middle of a sentence: each kind has its own whole sentence."""
    from mail.models import OutgoingMail
    from registry import services
    from registry.models import Accreditation
    from registry.tests.conftest import completed_run

    settings.MEDIA_ROOT = tmp_path
    accreditation = Accreditation.objects.get(programme__slug="verbindend-leiderschap", register="po")
    accreditation.number, accreditation.contact_hours, accreditation.self_study_hours = "SLR-2026-0042", 36, 24
    accreditation.valid_from, accreditation.valid_until = datetime.date(2025, 1, 1), datetime.date(2027, 12, 31)
    accreditation.save()
    cohort, people = completed_run({"Anna": range(1, 7), "Cees": [1, 2]})
    services.issue_cohort_certificates(cohort=cohort)
    mails = {mail.to[0]: mail for mail in OutgoingMail.objects.filter(template="registry/mail/certificate_issued")}
    anna, cees = mails[people["Anna"].email], mails[people["Cees"].email]
    assert anna.subject == "Uw certificaat voor Verbindend leiderschap"
    assert cees.subject == "Uw bewijs van deelname voor Verbindend leiderschap"
    assert "Uw certificaat (VL-" in anna.body_text and "Uw certificaat (VL-" in anna.body_html
    assert "Uw bewijs van deelname (VL-" in cees.body_text
    assert not [mail for mail in mails.values() if "Uw Certificaat" in mail.subject + mail.body_text]
    assert not [mail for mail in mails.values() if "Uw Bewijs" in mail.subject + mail.body_text]
