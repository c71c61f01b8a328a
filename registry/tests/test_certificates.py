"""Certificates: issued by outcome, frozen, versioned, revocable, verifiable, owner-only, and safe to render."""

import contextlib
import datetime
import io
import socket
import threading
import zlib

import pypdf
import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from cohorts.services import links
from mail.models import OutgoingMail
from registry import pdf, services
from registry.models import Certificate

from .conftest import completed_run

pytestmark = pytest.mark.django_db


def pdf_text(certificate) -> str:
    with certificate.pdf.open("rb") as file:
        return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(file.read())).pages)


def test_certificate_for_completed_and_proof_for_attended_only(accreditation):
    cohort, people = completed_run({"Anna": range(1, 7), "Bram": [1, 2, 3, 4, 5], "Cees": [1, 2], "Dirk": []})
    result = services.issue_cohort_certificates(cohort=cohort)
    assert result["issued"] == 3
    assert any("Dirk" in line for line in result["skipped"])
    kinds = {c.participant.first_name: c.kind for c in Certificate.objects.all()}
    assert kinds == {"Anna": "certificate", "Bram": "certificate", "Cees": "attendance"}
    anna = Certificate.objects.get(participant=people["Anna"])
    assert anna.number.startswith(cohort.code + "-")
    assert len(anna.sha256) == 64
    assert OutgoingMail.objects.filter(template="registry/mail/certificate_issued").count() == 3


def test_the_pdf_prints_what_the_register_needs(accreditation):
    _cohort, people = completed_run({"Anna": range(1, 7)})
    people["Anna"].register_number = "0012345"
    people["Anna"].save()
    certificate = services.issue_certificate(participant=people["Anna"])
    text = pdf_text(certificate)
    for expected in (
        "Certificaat",
        "A. Bakker",
        "0012345",
        "Verbindend leiderschap",
        "2 februari 2026",
        "Verandermanagement",
        "SLR-2026-0042",
        "36",
        "24",
        "60",
        "6 van 6",
        certificate.number,
        certificate.verification_code,
    ):
        assert expected in text, expected
    # The theme by the name the register gives it today, not the brochure's.
    assert "Leiding geven aan verandering" not in text
    # Hours as people write them: 36, not 36.0.
    assert "36 contacturen" in text and "36.0" not in text and "60.0" not in text


def test_what_a_certificate_prints_is_frozen_and_reissue_makes_a_version(accreditation):
    _cohort, people = completed_run({"Anna": range(1, 7)})
    first = services.issue_certificate(participant=people["Anna"])
    people["Anna"].last_name = "Bakker-de Wit"
    people["Anna"].save()
    first.refresh_from_db()
    assert first.snapshot["name"] == "A. Bakker"
    second = services.issue_certificate(participant=people["Anna"])
    first.refresh_from_db()
    assert first.status == Certificate.Status.SUPERSEDED
    assert (second.number, second.version) == (first.number, 2)
    assert second.snapshot["name"] == "A. Bakker-de Wit"


def test_refused_outside_the_accreditations_validity(accreditation):
    accreditation.valid_until = datetime.date(2026, 1, 31)
    accreditation.save()
    _cohort, people = completed_run({"Anna": range(1, 7)})
    with pytest.raises(services.CertificateError, match="buiten de geldigheid van de accreditatie"):
        services.issue_certificate(participant=people["Anna"])
    assert not Certificate.objects.exists()


def test_refused_before_the_run_is_completed(accreditation):
    cohort, people = completed_run({"Anna": range(1, 7)})
    cohort.status = "confirmed"
    cohort.save()
    with pytest.raises(services.CertificateError):
        services.issue_certificate(participant=people["Anna"])


def test_revoked_certificate_is_kept_and_verification_says_so(client, accreditation):
    _cohort, people = completed_run({"Anna": range(1, 7)})
    certificate = services.issue_certificate(participant=people["Anna"])
    page = client.get(reverse("public:verify", args=[certificate.verification_code])).content.decode()
    assert "Geldig." in page and "A. Bakker" in page
    assert people["Anna"].email not in page
    services.revoke_certificate(certificate=certificate, reason="Ten onrechte uitgereikt")
    certificate.refresh_from_db()
    assert certificate.revoked_reason == "Ten onrechte uitgereikt"
    assert "Ingetrokken." in client.get(reverse("public:verify", args=[certificate.verification_code])).content.decode()


def test_verification_of_a_superseded_and_an_unknown_code(client, accreditation):
    _cohort, people = completed_run({"Anna": range(1, 7)})
    old = services.issue_certificate(participant=people["Anna"])
    services.issue_certificate(participant=people["Anna"])
    assert "Vervangen." in client.get(reverse("public:verify", args=[old.verification_code])).content.decode()
    assert client.get(reverse("public:verify", args=["NIETBESTAAND"])).status_code == 404
    response = client.get(reverse("public:verify_form"), {"code": f" {old.verification_code.lower()} "})
    assert response["Location"] == reverse("public:verify", args=[old.verification_code])


def test_downloads_are_for_the_owner_and_staff_only(client, admin_client, accreditation):
    cohort, people = completed_run({"Anna": range(1, 7), "Bram": range(1, 7)})
    services.issue_cohort_certificates(cohort=cohort)
    anna, bram = (Certificate.objects.get(participant=people[n]) for n in ("Anna", "Bram"))
    token = links.participant_page_url(people["Anna"]).rstrip("/").rsplit("/", 1)[1]
    own = client.get(reverse("public:participant_certificate", args=[token, anna.pk]))
    assert own.status_code == 200 and own["Content-Type"] == "application/pdf"
    assert client.get(reverse("public:participant_certificate", args=[token, bram.pk])).status_code == 404
    assert client.get(reverse("public:participant_certificate", args=["forged:token", anna.pk])).status_code == 404
    assert client.get(reverse("registry:staff_certificate", args=[anna.pk])).status_code == 302
    assert admin_client.get(reverse("registry:staff_certificate", args=[anna.pk])).status_code == 200
    client.force_login(User.objects.create_user("buiten", password="x-secret-123"))
    assert client.get(reverse("registry:staff_certificate", args=[anna.pk])).status_code == 302


def test_participant_page_offers_the_certificate(client, accreditation):
    _cohort, people = completed_run({"Anna": range(1, 7)})
    services.issue_certificate(participant=people["Anna"])
    page = client.get(links.participant_page_url(people["Anna"]).replace("http://127.0.0.1:8000", ""))
    assert "Downloaden (PDF)" in page.content.decode()


class Listener:
    """A TCP listener on 127.0.0.1 that records whether anyone connects."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.running = True
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while self.running:
            try:
                connection, _address = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            connection.close()

    def close(self):
        self.running = False
        self.thread.join()
        self.sock.close()


def decompressed_streams(data: bytes) -> bytes:
    """Return the PDF with every Flate stream inflated, to search it for leaked content."""
    out, position = [data], 0
    while (start := data.find(b"stream", position)) != -1:
        start = data.find(b"\n", start) + 1
        end = data.find(b"endstream", start)
        with contextlib.suppress(zlib.error):
            out.append(zlib.decompress(data[start:end]))
        position = end
    return b"".join(out)


def test_hostile_names_print_as_text_and_nothing_is_fetched(accreditation):
    listener = Listener()
    try:
        hostile = [
            '<img src="file:///etc/passwd">',
            '<link rel=attachment href="file:///etc/passwd">',
            f'<link rel=stylesheet href="http://127.0.0.1:{listener.port}/">',
        ]
        _cohort, people = completed_run({"Anna": range(1, 7)})
        participant = people["Anna"]
        # Each where it fits: names, and the course run's venue, which prints as the place.
        participant.initials, participant.first_name, participant.last_name = "", hostile[0], hostile[2]
        participant.full_clean(exclude=["registration", "cohort"], validate_constraints=False)
        participant.save()
        participant.cohort.venue = hostile[1]
        participant.cohort.save()
        certificate = services.issue_certificate(participant=participant)
        with certificate.pdf.open("rb") as file:
            raw = file.read()
        text = pdf_text(certificate)
        assert '<img src="file:///etc/passwd">' in text
        assert "<link rel=attachment" in text
        streams = decompressed_streams(raw)
        assert b"root:x:0:0" not in streams
        assert b"/EmbeddedFile" not in raw
        assert listener.connections == 0
    finally:
        listener.close()


def test_the_fetcher_refuses_everything_but_static_files_and_data():
    from verbindend.pdf import STATIC_BASE, StaticFilesOnlyFetcher

    fetcher = StaticFilesOnlyFetcher()
    for url in (
        "file:///etc/passwd",
        "http://127.0.0.1:9/",
        "https://example.org/x.css",
        STATIC_BASE + "../../../../etc/passwd",
        "https://verbindend.invalid/etc/passwd",
    ):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    font = fetcher.fetch(STATIC_BASE + "vendor/source-sans-3/source-sans-3-latin-400-normal.woff2")
    assert font.status == 200
    qr = fetcher.fetch("data:image/png;base64,iVBORw0KGgo=")
    assert (qr.content_type, qr.read()) == ("image/png", b"\x89PNG\r\n\x1a\n")
    with pytest.raises(ValueError):
        fetcher.fetch("data:image/png;base64,not base64!")


def test_weasyprint_has_harfbuzz_subsetting():
    """Without HarfBuzz's subsetter WeasyPrint embeds whole fonts and is ten times slower."""
    from weasyprint.text.ffi import harfbuzz_subset

    assert harfbuzz_subset is not None, "install libharfbuzz-subset0"


def test_admin_issues_a_runs_certificates_and_shows_progress(
    admin_client, accreditation, django_capture_on_commit_callbacks
):
    cohort, _people = completed_run({"Anna": range(1, 7), "Bram": [1, 2]})
    changelist = reverse("admin:registry_completedcohort_changelist")
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(changelist, {"action": "issue_certificates", "_selected_action": [cohort.pk], "post": "yes"})
    assert Certificate.objects.count() == 2
    assert ">2 / 2<" in admin_client.get(changelist).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(changelist, {"action": "issue_certificates", "_selected_action": [cohort.pk], "post": "yes"})
    assert Certificate.objects.count() == 2


def test_revoking_from_the_admin_needs_a_reason(admin_client, accreditation):
    _cohort, people = completed_run({"Anna": range(1, 7)})
    certificate = services.issue_certificate(participant=people["Anna"])
    changelist = reverse("admin:registry_certificate_changelist")
    admin_client.post(
        changelist, {"action": "revoke", "_selected_action": [certificate.pk], "apply": "1", "reason": ""}
    )
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.VALID
    done = admin_client.post(
        changelist,
        {"action": "revoke", "_selected_action": [certificate.pk], "apply": "1", "reason": "Dubbel"},
        follow=True,
    )
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.REVOKED
    assert "1 certificaat ingetrokken." in done.content.decode()


def test_staff_download_a_runs_certificates_as_one_zip(client, admin_client, accreditation):
    import zipfile

    cohort, _people = completed_run({"Anna": range(1, 7), "Bram": range(1, 7), "Cees": []})
    services.issue_cohort_certificates(cohort=cohort)
    url = reverse("admin:registry_certificates_zip", args=[cohort.pk])
    response = admin_client.get(url)
    assert response["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert sorted(names) == sorted(f"{c}.pdf" for c in Certificate.objects.all())
    assert len(names) == 2
    assert client.get(url).status_code == 302


def test_details_are_frozen_on_the_participant_page_once_issued(client, accreditation):
    _cohort, people = completed_run({"Anna": range(1, 7)})
    services.issue_certificate(participant=people["Anna"])
    url = links.participant_page_url(people["Anna"]).replace("http://127.0.0.1:8000", "")
    page = client.get(url).content.decode()
    assert "vraag de trainer" in page.lower()
    data = {
        "action": "details",
        "initials": "Z.",
        "first_name": "Zoë",
        "tussenvoegsel": "",
        "last_name": "Anders",
        "register_number": "0099999",
    }
    client.post(url, data)
    people["Anna"].refresh_from_db()
    assert people["Anna"].last_name == "Bakker"


def render_meanwhile(monkeypatch, name, action):
    """Make the first render of `name`'s certificate run `action` first, as another process might."""
    render, done = pdf.render_certificate, []

    def render_and_act(snapshot, **kwargs):
        if snapshot["first_name"] == name and not done:
            done.append(snapshot["version"])
            action()
        return render(snapshot, **kwargs)

    monkeypatch.setattr(pdf, "render_certificate", render_and_act)


def test_a_certificate_issued_during_a_render_is_superseded_not_clashed_with(monkeypatch, accreditation):
    _cohort, people = completed_run({"Anna": range(1, 7)})
    render_meanwhile(monkeypatch, "Anna", lambda: services.issue_certificate(participant=people["Anna"]))
    certificate = services.issue_certificate(participant=people["Anna"])
    versions = dict(Certificate.objects.values_list("version", "status"))
    assert versions == {1: Certificate.Status.SUPERSEDED, 2: Certificate.Status.VALID}
    assert certificate.version == 2 and certificate.snapshot["version"] == 2
    assert "(versie 2)" in pdf_text(certificate)


def test_issuing_a_run_leaves_a_certificate_issued_meanwhile_alone(monkeypatch, accreditation):
    cohort, people = completed_run({"Anna": range(1, 7), "Bram": range(1, 7)})
    render_meanwhile(monkeypatch, "Anna", lambda: services.issue_certificate(participant=people["Anna"]))
    result = services.issue_cohort_certificates(cohort=cohort)
    assert result == {"issued": 1, "skipped": []}
    assert Certificate.objects.filter(participant=people["Anna"]).count() == 1
    assert Certificate.objects.filter(status=Certificate.Status.VALID).count() == 2


@pytest.mark.parametrize("size", [2, 6])
def test_issuing_a_run_reads_the_run_once(accreditation, django_assert_num_queries, size):
    names = ["Anna", "Bram", "Cees", "Dirk", "Eva", "Femke"][:size]
    cohort, people = completed_run({name: range(1, 7) for name in names})
    # Reading the run, locking and checking the participants, inserting the
    # certificates and their e-mails: 16; then per certificate its audit event.
    with django_assert_num_queries(18 + size):
        assert services.issue_cohort_certificates(cohort=cohort) == {"issued": size, "skipped": []}
    valid = Certificate.objects.filter(status=Certificate.Status.VALID)
    assert sorted(valid.values_list("participant_id", flat=True)) == sorted(p.pk for p in people.values())
    mailed = OutgoingMail.objects.filter(template="registry/mail/certificate_issued").values_list("to", flat=True)
    assert sorted(to for (to,) in mailed) == sorted(p.email for p in people.values())
