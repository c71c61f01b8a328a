"""
Security properties of the public forms, the personal links and the board pages.

* Whatever text arrives in any field of any form, the answer is a page with
  errors, a redirect or "too many attempts": never a server error.
* Names with HTML in them are escaped on every page and in every HTML e-mail;
  the plain-text e-mails keep them as typed.
* A forged, truncated, tampered, revoked or mismatched link is a plain 404.
* One board's link never reads nor changes another board's participants.
* The registration form does not reveal whether a board or address is known.
* The rate limits hold per client address; a double submit counts once.
"""

import re
import tempfile
import uuid
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import pytest
from django.core import mail, signing
from django.core.cache import cache
from django.urls import reverse
from django.utils.html import escape
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from cohorts import tokens
from cohorts.models import Board, Cohort, Participant, Registration
from cohorts.services import enrolment, links, registrations
from cohorts.tests.factories import (
    CohortFactory,
    CourseDayFactory,
    RawRegistrationFactory,
    board_data,
    participant_data,
    placed_registration,
    submitted_registration,
)
from mail.models import OutgoingMail

pytestmark = pytest.mark.django_db

# Hypothesis keeps its caches outside the project; the examples are not stored (database=None).
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "verbindend-hypothesis")


SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"


@pytest.fixture(autouse=True)
def _clean_cache():
    """Every test starts with empty rate-limit counters, and leaves none behind."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def no_rate_limits(settings):
    settings.REGISTRATION_RATE_LIMIT = 10**6
    settings.ENROLMENT_RATE_LIMIT = 10**6


# --- Helpers -------------------------------------------------------------------


def post(client, url, data, **extra):
    """POST form data url-encoded; a list value sends the field several times."""
    return client.post(url, urlencode(data, doseq=True), content_type="application/x-www-form-urlencoded", **extra)


def path(url: str) -> str:
    return urlsplit(url).path


def board_path(registration) -> str:
    return path(links.board_page_url(registration))


def enrol_path(registration) -> str:
    return path(links.enrolment_url(registration))


def participant_path(participant) -> str:
    return path(links.participant_page_url(participant))


def edit_path(registration, participant_id) -> str:
    return f"{board_path(registration)}deelnemer/{participant_id}/"


def registration_data(**overrides) -> dict:
    data = {
        "path": Registration.Kind.NEW_COHORT,
        "cohort": "",
        "board_name": "Stichting De Linde",
        "board_kind": Board.Kind.BESTUUR,
        "bestuursnummer": "41234",
        "swv_code": "",
        "sector": "po",
        "board_place": "Utrecht",
        "contact_name": "Fatima el Amrani",
        "contact_function": "HR-adviseur",
        "contact_email": "fatima@delinde.example.nl",
        "contact_phone": "030 123 4567",
        "expected_participants": "14",
        "preferred_period": "voorjaar 2027",
        "preferred_place": "Utrecht",
        "remarks": "Graag op dinsdag.",
        "privacy_consent": "on",
        "website": "",
        "submission_key": uuid.uuid4().hex,
    }
    data.update(overrides)
    return data


REGISTRATION_FIELDS = list(registration_data())


def enrolment_data(n: int = 0, **overrides) -> dict:
    return {**participant_data(n), "privacy_consent": "on", **overrides}


ENROLMENT_FIELDS = list(enrolment_data())
PARTICIPANT_FIELDS = list(participant_data())


def add_data(n: int = 0, **overrides) -> dict:
    data = {"action": "add", **{f"add-{name}": value for name, value in participant_data(n).items()}}
    data.update({f"add-{name}": value for name, value in overrides.items()})
    return data


def paste_line(n: int = 0, **overrides) -> str:
    values = {**participant_data(n), **overrides}
    return "\t".join(
        values[name] for name in ("first_name", "tussenvoegsel", "last_name", "email", "role", "school", "brin")
    )


def assert_survived(response, *, form_marker: str | None = None, redirect_to: str | None = None):
    """200 (the form again), 302 (done) or 429 (too many): anything else is a failure."""
    assert response.status_code in {200, 302, 429}, response.status_code
    if response.status_code == 200 and form_marker:
        assert form_marker in response.content.decode()
    if response.status_code == 302 and redirect_to:
        assert path(response["Location"]) == redirect_to


def without_csrf(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', 'name="csrfmiddlewaretoken" value=""', html)


# --- 1. Fuzzing every field of every form ---------------------------------------

NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\r\n\r\n",
    "\t;\t;",
    "\u202egnp.exe",
    "\ufeff",
    "😀👩🏽‍🏫",
    "ß",
    "İ",
    "\u212a",
    "٣",
    "-1",
    "0",
    "1e9",
    "12.5",
    "NaN",
    "9" * 5000,
    SCRIPT,
    IMG,
    '"><svg onload=alert(1)>',
    "'; DROP TABLE cohorts_registration; --",
    "{{ request }}{% debug %}",
    "%(name)s %s %d",
    "../../../etc/passwd",
    "a@b",
    "x" * 64 + "@" + "y" * 250 + ".nl",
]

fuzz_text = st.one_of(
    st.text(),
    st.text(st.characters(categories=["Cc", "Cf", "Zl", "Zp", "Zs"]), max_size=20),
    st.text(min_size=1, max_size=40).map(lambda s: (s * (5000 // len(s) + 1))[:5000]),
    st.sampled_from(NASTY),
)

FUZZ = hypothesis_settings(
    max_examples=6,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FUZZ_ALL = hypothesis_settings(FUZZ, max_examples=25)


@pytest.fixture
def open_cohort():
    """With an open course run the registration form also has its 'path' and 'cohort' fields."""
    cohort = CohortFactory(open_for_joining=True)
    CourseDayFactory(cohort=cohort)
    return cohort


@pytest.fixture
def placed():
    """A board placed in a course run that has not started: its board page takes changes."""
    registration = RawRegistrationFactory()
    CourseDayFactory(cohort=registration.cohort)
    return registration


def test_valid_base_data_is_accepted(client, no_rate_limits, open_cohort, placed):
    """The fuzz tests below change one field of data that works; check that it does."""
    response = post(client, "/aanmelden/", registration_data())
    assert response.status_code == 302
    response = post(client, "/aanmelden/", registration_data(path="join", cohort=str(open_cohort.pk)))
    assert response.status_code == 302
    assert Registration.objects.filter(cohort=open_cohort).count() == 1
    assert post(client, enrol_path(placed), enrolment_data(1)).status_code == 302
    assert post(client, board_path(placed), add_data(2)).status_code == 302
    response = post(client, board_path(placed), {"action": "paste", "paste-rows": paste_line(3)})
    assert response.status_code == 200
    assert participant_data(3)["email"] in response.content.decode()
    assert post(client, board_path(placed), {"action": "paste_confirm", "paste-rows": paste_line(3)}).status_code == 302
    assert placed.participants.count() == 3


@pytest.mark.parametrize("field", REGISTRATION_FIELDS)
@FUZZ
@given(value=fuzz_text)
def test_registration_survives_any_text_in_one_field(client, no_rate_limits, open_cohort, field, value):
    response = post(client, "/aanmelden/", registration_data(**{field: value}))
    assert_survived(response, form_marker='name="submission_key"', redirect_to="/aanmelden/bedankt/")


@FUZZ_ALL
@given(values=st.fixed_dictionaries(dict.fromkeys(REGISTRATION_FIELDS, fuzz_text)))
def test_registration_survives_any_text_in_all_fields(client, no_rate_limits, open_cohort, values):
    before = Registration.objects.count()
    response = post(client, "/aanmelden/", values)
    assert_survived(response, form_marker='name="submission_key"', redirect_to="/aanmelden/bedankt/")
    if response.status_code == 200:
        assert Registration.objects.count() == before


@FUZZ
@given(field=st.sampled_from(REGISTRATION_FIELDS), values=st.lists(fuzz_text, min_size=2, max_size=4))
def test_registration_survives_a_field_sent_several_times(client, no_rate_limits, open_cohort, field, values):
    for variant in (values, [registration_data()[field], *values], [*values, registration_data()[field]]):
        response = post(client, "/aanmelden/", registration_data(**{field: variant}))
        assert_survived(response, form_marker='name="submission_key"', redirect_to="/aanmelden/bedankt/")


@pytest.mark.parametrize(
    "value", ["-1", "0", "501", "1e9", "12.5", "1,5", "NaN", "inf", "0x10", "9" * 5000, "", "veertien"]
)
def test_registration_refuses_expected_participants_out_of_range(client, no_rate_limits, value):
    response = post(client, "/aanmelden/", registration_data(expected_participants=value))
    assert response.status_code == 200
    assert Registration.objects.count() == 0
    assert OutgoingMail.objects.count() == 0


def test_registration_reads_non_ascii_digits_as_their_number(client, no_rate_limits):
    """'٣' is the digit 3 (Python's int() reads it): accepted and stored as 3, never a crash or a wild number."""
    response = post(client, "/aanmelden/", registration_data(expected_participants="٣"))
    assert response.status_code == 302
    assert Registration.objects.get().expected_participants == 3


def test_registration_refuses_a_cohort_that_does_not_exist_or_is_not_open(client, no_rate_limits, open_cohort):
    closed = CohortFactory(open_for_joining=False)
    running = CohortFactory(open_for_joining=True, status=Cohort.Status.RUNNING)
    started = CohortFactory(open_for_joining=True)
    CourseDayFactory(cohort=started, date=open_cohort.created_at.date())
    cancelled = CohortFactory(open_for_joining=True, status=Cohort.Status.CANCELLED)
    wrong = [
        closed.pk,
        running.pk,
        started.pk,
        cancelled.pk,
        999_999,
        -1,
        "",
        "abc",
        "٣",
        "1e9",
        "12.5",
        "1;DROP",
        "\x00",
    ]
    for value in [*wrong, [str(open_cohort.pk), "999999"]]:
        response = post(client, "/aanmelden/", registration_data(path="join", cohort=value))
        assert response.status_code == 200, value
    assert Registration.objects.count() == 0
    assert OutgoingMail.objects.count() == 0


def test_registration_survives_bytes_that_are_not_utf8(client, no_rate_limits):
    body = urlencode(registration_data()).encode() + b"&board_name=%FF%FE%C0%AF&contact_name=\xff\xfe"
    response = client.post("/aanmelden/", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code in {200, 302}


@pytest.mark.parametrize("field", ENROLMENT_FIELDS)
@FUZZ
@given(value=fuzz_text)
def test_enrolment_survives_any_text_in_one_field(client, no_rate_limits, placed, field, value):
    url = enrol_path(placed)
    response = post(client, url, enrolment_data(**{field: value}))
    assert_survived(response, form_marker='name="privacy_consent"', redirect_to=f"{url}bedankt/")


@FUZZ_ALL
@given(values=st.fixed_dictionaries(dict.fromkeys(ENROLMENT_FIELDS, fuzz_text)))
def test_enrolment_survives_any_text_in_all_fields(client, no_rate_limits, placed, values):
    url = enrol_path(placed)
    response = post(client, url, values)
    assert_survived(response, form_marker='name="privacy_consent"', redirect_to=f"{url}bedankt/")


@FUZZ
@given(field=st.sampled_from(ENROLMENT_FIELDS), values=st.lists(fuzz_text, min_size=2, max_size=4))
def test_enrolment_survives_a_field_sent_several_times(client, no_rate_limits, placed, field, values):
    url = enrol_path(placed)
    for variant in (values, [enrolment_data()[field], *values]):
        response = post(client, url, enrolment_data(**{field: variant}))
        assert_survived(response, form_marker='name="privacy_consent"', redirect_to=f"{url}bedankt/")


@pytest.mark.parametrize("field", PARTICIPANT_FIELDS)
@FUZZ
@given(value=fuzz_text)
def test_board_add_form_survives_any_text_in_one_field(client, placed, field, value):
    url = board_path(placed)
    response = post(client, url, add_data(**{field: value}))
    assert_survived(response, form_marker='name="add-first_name"', redirect_to=url)


@FUZZ_ALL
@given(values=st.fixed_dictionaries(dict.fromkeys(PARTICIPANT_FIELDS, fuzz_text)))
def test_board_add_form_survives_any_text_in_all_fields(client, placed, values):
    url = board_path(placed)
    response = post(client, url, add_data(**values))
    assert_survived(response, form_marker='name="add-first_name"', redirect_to=url)


@FUZZ_ALL
@given(action=st.sampled_from(["paste", "paste_confirm"]), rows=fuzz_text)
def test_board_paste_form_survives_any_text(client, placed, action, rows):
    url = board_path(placed)
    response = post(client, url, {"action": action, "paste-rows": rows})
    assert_survived(response, form_marker='name="paste-rows"', redirect_to=url)


@pytest.mark.parametrize("column", PARTICIPANT_FIELDS)
@FUZZ
@given(value=fuzz_text, action=st.sampled_from(["paste", "paste_confirm"]), separator=st.sampled_from(["\t", ";"]))
def test_board_paste_form_survives_any_text_in_one_column(client, placed, column, value, action, separator):
    """Rows that parse into seven columns reach the per-row validation, with one cell fuzzed."""
    url = board_path(placed)
    rows = "\n".join(
        [
            "voornaam\ttussenvoegsel\tachternaam\te-mail\trol\tschool\tbrin",
            paste_line(1, **{column: value}),
            paste_line(2),
        ]
    ).replace("\t", separator)
    response = post(client, url, {"action": action, "paste-rows": rows})
    assert_survived(response, form_marker='name="paste-rows"', redirect_to=url)


@FUZZ_ALL
@given(field=st.sampled_from(PARTICIPANT_FIELDS), value=fuzz_text)
def test_participant_edit_form_survives_any_text(client, placed, field, value):
    email = f"{uuid.uuid4().hex}@school.example.nl"
    participant = enrolment.enroll_participant(registration=placed, data=participant_data(900, email=email))
    url = edit_path(placed, participant.pk)
    response = post(client, url, {**participant_data(900, email=email), field: value})
    assert_survived(response, form_marker='name="first_name"', redirect_to=board_path(placed))


@pytest.mark.parametrize("action", ["", "delete", "ADD", "withdraw ", ["add", "paste"]])
def test_board_page_unknown_action_is_404(client, placed, action):
    response = post(client, board_path(placed), {**add_data(), "action": action, "participant": "1"})
    if isinstance(action, list):  # The last value counts: "paste" without rows is the form again.
        assert response.status_code == 200
    else:
        assert response.status_code == 404
    assert placed.participants.count() == 0


# --- 2. HTML in names is escaped on every page and in every HTML e-mail --------


def test_html_in_names_is_escaped_on_pages_and_in_html_mail(client, admin_client, no_rate_limits, open_cohort):
    contact = f"Siobhan O'Brien {SCRIPT}"
    response = post(
        client,
        "/aanmelden/",
        registration_data(path="join", cohort=str(open_cohort.pk), board_name=SCRIPT, contact_name=contact),
    )
    assert response.status_code == 302
    registration = Registration.objects.get()
    assert registration.board.name == SCRIPT
    assert registration.contact_name == contact
    assert registration.cohort == open_cohort

    response = post(client, enrol_path(registration), enrolment_data(1, first_name=IMG, last_name="O'Brien"))
    assert response.status_code == 302
    participant = Participant.objects.get()
    assert participant.first_name == IMG

    pages = {
        "board page": client.get(board_path(registration)),
        "enrolment page": client.get(enrol_path(registration)),
        "participant page": client.get(participant_path(participant)),
        "participant edit page": client.get(edit_path(registration, participant.pk)),
        "registrations in the admin": admin_client.get(reverse("admin:cohorts_registration_changelist")),
        "participants in the admin": admin_client.get(reverse("admin:cohorts_participant_changelist")),
        "registration in the admin": admin_client.get(
            reverse("admin:cohorts_registration_change", args=[registration.pk])
        ),
        "participant in the admin": admin_client.get(
            reverse("admin:cohorts_participant_change", args=[participant.pk])
        ),
    }
    expected = {
        "board page": [SCRIPT, contact, IMG],
        "enrolment page": [SCRIPT],
        "participant page": [IMG],
        "participant edit page": [IMG],
        "registrations in the admin": [SCRIPT, contact],
        "participants in the admin": [IMG, SCRIPT],
        "registration in the admin": [contact],
        "participant in the admin": [IMG],
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
        html = response.content.decode()
        assert "<script>alert" not in html, name
        assert "<img src=x" not in html, name
        for text in expected[name]:
            assert escape(text) in html, (name, text)

    mails = {row.template.rsplit("/", 1)[-1]: row for row in OutgoingMail.objects.all()}
    assert set(mails) == {"registration_received", "registration_notification", "participant_welcome"}
    literal = {
        "registration_received": [SCRIPT, contact],
        "registration_notification": [SCRIPT, contact],
        "participant_welcome": [IMG],
    }
    for name, row in mails.items():
        assert "<script>alert" not in row.body_html, name
        assert "<img src=x" not in row.body_html, name
        for text in literal[name]:
            assert escape(text) in row.body_html, (name, text)
            # Plain text is not HTML: it keeps the text as typed, apostrophe and all.
            assert text in row.body_text, (name, text)
        assert "&lt;" not in row.body_text and "&#x27;" not in row.body_text and "&amp;" not in row.body_text, name
    assert "O'Brien" in mails["registration_received"].body_text
    assert SCRIPT in mails["registration_notification"].subject


# --- 3. Forged, tampered, mismatched and revoked links are a plain 404 ---------

URL_PURPOSE = {
    "board": tokens.BOARD,
    "board_participant": tokens.BOARD,
    "enrol": tokens.ENROLMENT,
    "enrol_thanks": tokens.ENROLMENT,
    "participant": tokens.PARTICIPANT,
}


def token_url(kind: str, token: str, participant_id: int) -> str:
    token = quote(token, safe=":")
    return {
        "board": f"/bestuur/{token}/",
        "board_participant": f"/bestuur/{token}/deelnemer/{participant_id}/",
        "enrol": f"/inschrijven/{token}/",
        "enrol_thanks": f"/inschrijven/{token}/bedankt/",
        "participant": f"/deelnemer/{token}/",
    }[kind]


@pytest.fixture
def linked(no_rate_limits, placed):
    """A placed registration with one participant, and the three valid tokens."""
    participant = enrolment.enroll_participant(registration=placed, data=participant_data(1))
    return {
        "registration": placed,
        "participant": participant,
        tokens.BOARD: tokens.make_token(placed.access_key, tokens.BOARD),
        tokens.ENROLMENT: tokens.make_token(placed.enrolment_key, tokens.ENROLMENT),
        tokens.PARTICIPANT: tokens.make_token(participant.access_key, tokens.PARTICIPANT),
    }


def post_body(kind: str, participant: Participant) -> dict:
    """What a POST to this page would carry if it were meant: it would change something."""
    if kind == "board":
        return {"action": "withdraw", "participant": str(participant.pk)}
    if kind == "board_participant":
        return participant_data(1, first_name="Gewijzigd")
    return enrolment_data(77)


def nothing_changed(linked) -> None:
    participant = Participant.objects.get(pk=linked["participant"].pk)
    assert participant.status == Participant.Status.ENROLLED
    assert participant.first_name == participant_data(1)["first_name"]
    assert Participant.objects.count() == 1


def assert_all_404(client, linked, forged: dict[str, list[str]]) -> None:
    """Every forged token, on the URLs of its kind, with GET and POST, gives 404."""
    wrong = []
    pid = linked["participant"].pk
    for kind, purpose in URL_PURPOSE.items():
        for token in forged[purpose]:
            url = token_url(kind, token, pid)
            for method in ("get", "post"):
                if method == "get":
                    response = client.get(url)
                else:
                    response = post(client, url, post_body(kind, linked["participant"]))
                if response.status_code != 404:
                    wrong.append((method.upper(), url[:80], response.status_code))
    assert wrong == []
    nothing_changed(linked)


def test_valid_tokens_open_their_pages(client, linked):
    """So that the 404s below are about the tokens, not about the pages."""
    pid = linked["participant"].pk
    for kind, purpose in URL_PURPOSE.items():
        assert client.get(token_url(kind, linked[purpose], pid)).status_code == 200, kind


def test_forged_and_tampered_tokens_are_404(client, linked):
    other_signer = {purpose: signing.Signer(key="not-our-secret-key", salt=purpose) for purpose in URL_PURPOSE.values()}
    keys = {
        tokens.BOARD: linked["registration"].access_key,
        tokens.ENROLMENT: linked["registration"].enrolment_key,
        tokens.PARTICIPANT: linked["participant"].access_key,
    }
    forged = {}
    for purpose, valid in linked.items():
        if purpose not in keys:
            continue
        key, signature = valid.rsplit(":", 1)
        flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
        forged[purpose] = [
            "x",
            "random-string-without-signature",
            "abc:def",
            valid[:-1],  # truncated
            valid[:-5],
            valid + "x",
            f"{key}:{flipped}",  # tampered signature
            f"{key[:-1]}{'a' if key[-1] != 'a' else 'b'}:{signature}",  # tampered key
            key,  # the bare key
            f"{key}:",
            f":{signature}",
            other_signer[purpose].sign(key),  # signed with another secret
            tokens.make_token("no-such-key", purpose),  # valid signature, unknown key
            f"{valid}\x00",
            "é" * 300 + ":" + signature,
            "a" * 5000 + ":" + signature,
        ]
    assert_all_404(client, linked, forged)


def test_tokens_of_another_purpose_are_404(client, linked):
    registration, participant = linked["registration"], linked["participant"]
    keys = [registration.access_key, registration.enrolment_key, participant.access_key]
    forged = {}
    for purpose in URL_PURPOSE.values():
        # Each valid token used where another kind belongs, and each key signed for
        # a purpose that is not its own.
        others = [linked[p] for p in (tokens.BOARD, tokens.ENROLMENT, tokens.PARTICIPANT) if p != purpose]
        right_key = {
            tokens.BOARD: registration.access_key,
            tokens.ENROLMENT: registration.enrolment_key,
            tokens.PARTICIPANT: participant.access_key,
        }[purpose]
        resigned = [tokens.make_token(key, purpose) for key in keys if key != right_key]
        forged[purpose] = others + resigned
    assert_all_404(client, linked, forged)


def test_rotated_links_stop_working_and_new_ones_work(client, linked):
    registration = linked["registration"]
    registrations.rotate_board_link(registration=registration)
    registration.refresh_from_db()
    forged = {
        tokens.BOARD: [linked[tokens.BOARD]],
        tokens.ENROLMENT: [linked[tokens.ENROLMENT]],
        tokens.PARTICIPANT: [],
    }
    assert_all_404(client, linked, forged)
    pid = linked["participant"].pk
    new = {
        tokens.BOARD: tokens.make_token(registration.access_key, tokens.BOARD),
        tokens.ENROLMENT: tokens.make_token(registration.enrolment_key, tokens.ENROLMENT),
    }
    assert new[tokens.BOARD] != linked[tokens.BOARD]
    assert new[tokens.ENROLMENT] != linked[tokens.ENROLMENT]
    for kind in ("board", "board_participant", "enrol", "enrol_thanks"):
        assert client.get(token_url(kind, new[URL_PURPOSE[kind]], pid)).status_code == 200, kind
    response = post(client, token_url("enrol", new[tokens.ENROLMENT], pid), enrolment_data(5))
    assert response.status_code == 302
    # The participant's own link is personal and is not part of the rotation.
    assert client.get(token_url("participant", linked[tokens.PARTICIPANT], pid)).status_code == 200


def test_links_of_a_cancelled_registration_are_404(client, linked):
    Registration.objects.filter(pk=linked["registration"].pk).update(status=Registration.Status.CANCELLED)
    forged = {
        tokens.BOARD: [linked[tokens.BOARD]],
        tokens.ENROLMENT: [linked[tokens.ENROLMENT]],
        tokens.PARTICIPANT: [],
    }
    assert_all_404(client, linked, forged)


# --- 4. One board never reaches another board's participants -------------------


@pytest.fixture(params=["same cohort", "different cohorts"])
def two_boards(request, no_rate_limits):
    a = placed_registration()
    CourseDayFactory(cohort=a.cohort)
    if request.param == "same cohort":
        b = placed_registration(a.cohort)
    else:
        b = placed_registration()
        CourseDayFactory(cohort=b.cohort)
    mine = enrolment.enroll_participant(registration=a, data=participant_data(1, first_name="Annemijn"))
    theirs = enrolment.enroll_participant(
        registration=b, data=participant_data(2, first_name="Berendina", email="berendina@andere.example.nl")
    )
    return a, b, mine, theirs


def assert_untouched(participant: Participant) -> None:
    fresh = Participant.objects.get(pk=participant.pk)
    assert fresh.status == Participant.Status.ENROLLED
    assert fresh.registration_id == participant.registration_id
    for name in PARTICIPANT_FIELDS:
        assert getattr(fresh, name) == getattr(participant, name), name


def test_board_page_shows_only_its_own_participants(client, two_boards):
    a, b, mine, theirs = two_boards
    html = client.get(board_path(a)).content.decode()
    assert mine.email in html and mine.first_name in html
    assert theirs.email not in html
    assert theirs.first_name not in html
    assert theirs.last_name not in html
    html = client.get(board_path(b)).content.decode()
    assert theirs.email in html
    assert mine.email not in html


def test_board_cannot_open_or_change_another_boards_participant(client, two_boards):
    a, b, mine, theirs = two_boards
    url = edit_path(a, theirs.pk)
    assert client.get(url).status_code == 404
    response = post(client, url, participant_data(2, first_name="Overgenomen", email="kaper@example.nl"))
    assert response.status_code == 404
    assert_untouched(theirs)
    # Its own participant, the same way, works: the 404 is about the owner.
    assert client.get(edit_path(a, mine.pk)).status_code == 200
    assert client.get(edit_path(b, theirs.pk)).status_code == 200


def test_board_cannot_withdraw_another_boards_participant(client, two_boards):
    a, _b, mine, theirs = two_boards
    response = post(client, board_path(a), {"action": "withdraw", "participant": str(theirs.pk)})
    assert response.status_code == 404
    assert_untouched(theirs)
    # Several values: the last one counts, and it is still not A's.
    response = post(client, board_path(a), {"action": "withdraw", "participant": [str(mine.pk), str(theirs.pk)]})
    assert response.status_code == 404
    assert_untouched(theirs)
    assert_untouched(mine)


@pytest.mark.parametrize(
    "garbage", ["abc", "", "-1", "0", "1;DROP TABLE cohorts_participant", "1.0", "1e3", "٣", "\x00", "9" * 5000]
)
def test_withdraw_with_a_garbage_participant_id_is_404(client, two_boards, garbage):
    a, _b, mine, theirs = two_boards
    response = post(client, board_path(a), {"action": "withdraw", "participant": garbage})
    assert response.status_code == 404
    assert_untouched(mine)
    assert_untouched(theirs)


def test_withdraw_without_a_participant_id_is_404(client, two_boards):
    a, _b, mine, theirs = two_boards
    assert post(client, board_path(a), {"action": "withdraw"}).status_code == 404
    assert_untouched(mine)
    assert_untouched(theirs)


@pytest.mark.parametrize("garbage", ["abc", "-1", "1.0", "%00", "٣"])
def test_edit_url_with_a_garbage_participant_id_is_404(client, two_boards, garbage):
    a, _b, mine, theirs = two_boards
    url = f"{board_path(a)}deelnemer/{quote(garbage, safe='%')}/"
    assert client.get(url).status_code == 404
    assert post(client, url, participant_data(1)).status_code == 404
    assert_untouched(mine)
    assert_untouched(theirs)


def test_withdrawing_does_not_name_another_boards_participant_moving_up(client, no_rate_limits):
    """When A's withdrawal lets B's waiting participant move up, A's page does not tell who that is."""
    a = placed_registration()
    b = placed_registration(a.cohort)
    programme = a.cohort.programme
    type(programme).objects.filter(pk=programme.pk).update(min_participants=1, max_participants=1)
    mine = enrolment.enroll_participant(registration=a, data=participant_data(1, first_name="Annemijn"))
    theirs = enrolment.enroll_participant(registration=b, data=participant_data(2, first_name="Berendina"))
    assert theirs.status == Participant.Status.WAITING
    response = post(client, board_path(a), {"action": "withdraw", "participant": str(mine.pk)}, follow=True)
    assert response.status_code == 200
    theirs.refresh_from_db()
    assert theirs.status == Participant.Status.ENROLLED
    html = response.content.decode()
    assert "Berendina" not in html
    assert theirs.email not in html


# --- 5. The registration form does not reveal what is known --------------------


def final_page(client, response) -> str:
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200
    return without_csrf(page.content.decode())


def test_registration_answer_is_the_same_for_a_known_and_a_new_board(client, no_rate_limits):
    submitted_registration(board=board_data(bestuursnummer="55555"), contact_email="bekend@bestuur.example.nl")
    known = registration_data(bestuursnummer="55555", contact_email="bekend@bestuur.example.nl")
    new = registration_data(bestuursnummer="66666", contact_email="nieuw@bestuur.example.nl")
    first, second = post(client, "/aanmelden/", known), post(client, "/aanmelden/", {**known, "submission_key": "k2"})
    fresh = post(client, "/aanmelden/", new)
    assert first["Location"] == second["Location"] == fresh["Location"]
    pages = {final_page(client, response) for response in (first, second, fresh)}
    assert len(pages) == 1
    # All three were taken in: one board reused, two more confirmations to the known address (after the first's).
    assert Board.objects.filter(bestuursnummer="55555").count() == 1
    assert Registration.objects.filter(board__bestuursnummer="55555").count() == 3
    confirmations = OutgoingMail.objects.filter(template="cohorts/mail/registration_received")
    assert sum(row.to == ["bekend@bestuur.example.nl"] for row in confirmations) == 1 + 2
    assert sum(row.to == ["nieuw@bestuur.example.nl"] for row in confirmations) == 1


def test_honeypot_gets_the_same_answer_and_nothing_is_kept(client, no_rate_limits):
    real = post(client, "/aanmelden/", registration_data(bestuursnummer="12345"))
    real_page = final_page(client, real)
    Registration.objects.all().delete()
    Board.objects.all().delete()
    OutgoingMail.objects.all().delete()
    bot = post(client, "/aanmelden/", registration_data(bestuursnummer="12345", website="https://spam.example"))
    assert bot["Location"] == real["Location"]
    assert final_page(client, bot) == real_page
    assert Registration.objects.count() == 0
    assert Board.objects.count() == 0
    assert OutgoingMail.objects.count() == 0
    assert mail.outbox == []


# --- 6. Rate limits --------------------------------------------------------------


# The Dutch of the message above the form (cohorts/templates/cohorts/rate_limited.html, "Too many attempts.").
RATE_LIMITED_TITLE = "<strong>Te veel pogingen.</strong>"


def test_registration_rate_limit_per_address(client, settings):
    settings.REGISTRATION_RATE_LIMIT = 3
    for _n in range(3):
        response = post(client, "/aanmelden/", registration_data(), REMOTE_ADDR="203.0.113.7")
        assert response.status_code == 302
    response = post(client, "/aanmelden/", registration_data(), REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 429
    assert response["Content-Language"] == "nl"
    assert RATE_LIMITED_TITLE in response.content.decode()
    assert Registration.objects.count() == 3
    # A forged X-Forwarded-For does not reset the count: no proxy is trusted.
    response = post(
        client, "/aanmelden/", registration_data(), REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="198.51.100.1"
    )
    assert response.status_code == 429
    # A form with errors writes nothing: it gets its errors, not the limit.
    response = post(client, "/aanmelden/", {}, REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 200
    assert RATE_LIMITED_TITLE not in response.content.decode()
    # Another address still gets through.
    assert post(client, "/aanmelden/", registration_data(), REMOTE_ADDR="203.0.113.8").status_code == 302
    assert Registration.objects.count() == 4


def test_registration_forms_returned_with_errors_do_not_count(client, settings):
    settings.REGISTRATION_RATE_LIMIT = 2
    for _n in range(5):
        response = post(client, "/aanmelden/", registration_data(contact_email="geen-adres"), REMOTE_ADDR="203.0.113.7")
        assert response.status_code == 200
    for _n in range(2):
        assert post(client, "/aanmelden/", registration_data(), REMOTE_ADDR="203.0.113.7").status_code == 302
    assert Registration.objects.count() == 2


def test_registration_over_the_limit_shows_the_form_with_what_was_typed(client, settings):
    settings.REGISTRATION_RATE_LIMIT = 1
    assert post(client, "/aanmelden/", registration_data(), REMOTE_ADDR="203.0.113.7").status_code == 302
    data = registration_data(board_name="Stichting Het Baken", remarks="Liefst in Zwolle, op maandag.")
    response = post(client, "/aanmelden/", data, REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 429
    page = response.content.decode()
    assert page.index(RATE_LIMITED_TITLE) < page.index('name="board_name"')  # the message stands above the form
    assert 'value="Stichting Het Baken"' in page
    assert "Liefst in Zwolle, op maandag." in page
    assert f'value="{data["submission_key"]}"' in page  # sent again later, it still counts once
    assert Registration.objects.count() == 1


def test_enrolment_forms_returned_with_errors_do_not_count(client, settings, placed):
    settings.ENROLMENT_RATE_LIMIT = 2
    url = enrol_path(placed)
    for n in range(5):
        assert post(client, url, enrolment_data(n, privacy_consent=""), REMOTE_ADDR="203.0.113.7").status_code == 200
    for n in range(2):
        assert post(client, url, enrolment_data(n), REMOTE_ADDR="203.0.113.7").status_code == 302
    assert placed.participants.count() == 2


def test_rate_limit_trusts_only_the_configured_proxy_hop(client, settings):
    """Behind one proxy the last X-Forwarded-For hop counts; hops a client adds in front change nothing."""
    settings.RATELIMIT_TRUSTED_PROXIES = ["127.0.0.1"]  # the test client's REMOTE_ADDR, the proxy here
    settings.REGISTRATION_RATE_LIMIT = 2
    for n in range(2):
        forwarded = f"10.0.0.{n}, 203.0.113.7"
        assert post(client, "/aanmelden/", registration_data(), HTTP_X_FORWARDED_FOR=forwarded).status_code == 302
    forwarded = "10.9.9.9, 203.0.113.7"
    assert post(client, "/aanmelden/", registration_data(), HTTP_X_FORWARDED_FOR=forwarded).status_code == 429
    forwarded = "203.0.113.7, 203.0.113.9"
    assert post(client, "/aanmelden/", registration_data(), HTTP_X_FORWARDED_FOR=forwarded).status_code == 302


def test_enrolment_rate_limit_per_address(client, settings, placed):
    settings.ENROLMENT_RATE_LIMIT = 3
    url = enrol_path(placed)
    for n in range(3):
        assert post(client, url, enrolment_data(n), REMOTE_ADDR="203.0.113.7").status_code == 302
    response = post(client, url, enrolment_data(3, last_name="Oosterhuis"), REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 429
    page = response.content.decode()
    assert RATE_LIMITED_TITLE in page
    assert 'value="Oosterhuis"' in page  # the form again, with what was typed
    assert placed.participants.count() == 3
    # A form with errors gets its errors, not the limit, and does not count.
    response = post(client, url, enrolment_data(5, email="geen-adres"), REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 200
    assert RATE_LIMITED_TITLE not in response.content.decode()
    assert post(client, url, enrolment_data(4), REMOTE_ADDR="203.0.113.8").status_code == 302
    assert placed.participants.count() == 4


# --- 7. A double submit counts once ----------------------------------------------


def test_double_submit_makes_one_registration_and_one_pair_of_emails(
    client, no_rate_limits, django_capture_on_commit_callbacks
):
    data = registration_data()
    with django_capture_on_commit_callbacks(execute=True):
        first = post(client, "/aanmelden/", data)
        second = post(client, "/aanmelden/", data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Registration.objects.count() == 1
    assert Board.objects.count() == 1
    assert sorted(OutgoingMail.objects.values_list("template", flat=True)) == [
        "cohorts/mail/registration_notification",
        "cohorts/mail/registration_received",
    ]
    assert len(mail.outbox) == 2


# --- Unicode case folding of e-mail addresses ---------------------------------

KELVIN = "\u212aim@school.example.nl"  # "Kim" with the Kelvin sign: lower() is kim@school.example.nl


def test_self_enrolment_with_an_address_differing_only_in_unicode_case_is_no_server_error(
    client, no_rate_limits, placed
):
    url = enrol_path(placed)
    assert post(client, url, enrolment_data(1, email="kim@school.example.nl")).status_code == 302
    assert post(client, url, enrolment_data(2, email=KELVIN)).status_code in {200, 302}


def test_board_add_with_an_address_differing_only_in_unicode_case_is_no_server_error(client, placed):
    enrolment.enroll_participant(registration=placed, data=participant_data(1, email="kim@school.example.nl"))
    assert post(client, board_path(placed), add_data(2, email=KELVIN)).status_code in {200, 302}


def test_correcting_an_address_to_one_differing_only_in_unicode_case_is_no_server_error(client, placed):
    enrolment.enroll_participant(registration=placed, data=participant_data(1, email="kim@school.example.nl"))
    other = enrolment.enroll_participant(registration=placed, data=participant_data(2))
    response = post(client, edit_path(placed, other.pk), participant_data(2, email=KELVIN))
    assert response.status_code in {200, 302}


def test_paste_finds_an_address_differing_only_in_unicode_case(client, placed):
    """The paste form compares lower-cased in Python, so it catches what the add form misses on PostgreSQL."""
    enrolment.enroll_participant(registration=placed, data=participant_data(1, email="kim@school.example.nl"))
    response = post(client, board_path(placed), {"action": "paste_confirm", "paste-rows": paste_line(2, email=KELVIN)})
    assert response.status_code == 200
    assert placed.participants.count() == 1


# --- Re-enrolling someone who withdrew -----------------------------------------


def test_add_form_re_enrols_a_withdrawn_participant(client, placed):
    participant = enrolment.enroll_participant(registration=placed, data=participant_data(1))
    enrolment.withdraw_participant(participant=participant)
    assert post(client, board_path(placed), add_data(1)).status_code == 302
    participant.refresh_from_db()
    assert participant.status == Participant.Status.ENROLLED


def test_paste_re_enrols_a_withdrawn_participant_like_the_add_form(client, placed):
    participant = enrolment.enroll_participant(registration=placed, data=participant_data(1))
    enrolment.withdraw_participant(participant=participant)
    response = post(client, board_path(placed), {"action": "paste_confirm", "paste-rows": paste_line(1)})
    assert response.status_code == 302
    participant.refresh_from_db()
    assert participant.status == Participant.Status.ENROLLED
