"""The certificate PDF read back by other readers: poppler (pdfinfo, pdffonts, pdftotext, pdftoppm) and pypdf.

A certificate is tagged for screen readers, archival (PDF/A-2a, identifying PDF/UA-1 too), with its title,
author, subject and language set and every font embedded. A proof of attendance says what was done and claims no
completion, study load or register credit.
"""

import io
import re
import shutil
import subprocess

import pypdf
import pytest

from conftest import require_service
from registry import services
from registry.models import Certificate, RegisterTheme

from .conftest import FIRST_DAY, completed_run

pytestmark = pytest.mark.django_db
THEME = "Leiderschap en organisatieontwikkeling"


@pytest.fixture(autouse=True)
def _poppler():
    require_service("poppler-utils", shutil.which("pdfinfo") is not None, "apt-get install poppler-utils")


@pytest.fixture
def pdfs(accreditation, tmp_path):
    """A certificate (6 of 6 days) and a proof of attendance (days 1, 2, 4 and 5), as files."""
    accreditation.themes.set([RegisterTheme.objects.create(name=THEME)])
    accreditation.points = 6
    accreditation.save()
    _cohort, people = completed_run({"Anna": range(1, 7), "Cees": [1, 2, 4, 5]})
    people["Anna"].register_number = "00942561"
    people["Anna"].save()
    people["Cees"].register_number = "00123456"
    people["Cees"].save()
    files = {}
    for name, kind in (("Anna", "certificate"), ("Cees", "attendance")):
        certificate = services.issue_certificate(participant=people[name])
        assert certificate.kind == kind
        path = tmp_path / f"{kind}.pdf"
        with certificate.pdf.open("rb") as file:
            path.write_bytes(file.read())
        files[kind] = path
    return files


def run(*command) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True, timeout=60).stdout


def pdfinfo(path) -> dict[str, str]:
    return dict(line.split(":", 1) for line in run("pdfinfo", str(path)).splitlines() if ":" in line)


@pytest.mark.parametrize("kind", ["certificate", "attendance"])
def test_pdfinfo_sees_tags_metadata_and_version(pdfs, kind):
    info = {key: value.strip() for key, value in pdfinfo(pdfs[kind]).items()}

    assert info["Tagged"] == "yes"
    assert info["PDF version"] == "1.7"
    assert info["Author"] == "Natuurlijk Leren BV"
    label = {"certificate": "Certificaat", "attendance": "Bewijs van deelname"}[kind]
    assert info["Title"].startswith(f"{label} Verbindend leiderschap: ")
    assert info["Subject"].startswith(f"{label} van ")
    assert "Verbindend leiderschap" in info["Keywords"]


@pytest.mark.parametrize("kind", ["certificate", "attendance"])
def test_pypdf_finds_structure_language_and_pdfa_and_pdfua_identification(pdfs, kind):
    reader = pypdf.PdfReader(pdfs[kind])
    root = reader.trailer["/Root"]

    assert "/StructTreeRoot" in root
    assert root["/MarkInfo"]["/Marked"].value is True
    assert root["/Lang"] == "nl"
    assert root["/ViewerPreferences"]["/DisplayDocTitle"].value is True
    assert root["/OutputIntents"][0].get_object()["/S"] == "/GTS_PDFA1"
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert re.search(r'pdfaid:part="2"', xmp)
    assert re.search(r'pdfaid:conformance="A"', xmp)
    assert re.search(r'pdfuaid:part="1"', xmp)
    assert xmp.count("<rdf:RDF") == 1
    assert reader.metadata.title == pdfinfo(pdfs[kind])["Title"].strip()


@pytest.mark.parametrize("kind", ["certificate", "attendance"])
def test_pdffonts_shows_every_font_embedded(pdfs, kind):
    rows = run("pdffonts", str(pdfs[kind])).splitlines()[2:]

    assert rows
    for row in rows:
        # name, type, encoding, then emb, sub, uni (yes/no each) and the object id.
        emb, _sub, uni = row.split()[-5:-2]
        assert (emb, uni) == ("yes", "yes"), row


def texts(path) -> list[str]:
    """The page's text as pypdf and as poppler's pdftotext read it: two independent readers."""
    with open(path, "rb") as file:
        by_pypdf = "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(file.read())).pages)
    return [by_pypdf, run("pdftotext", "-layout", str(path), "-")]


def test_a_proof_of_attendance_claims_no_completion_hours_theme_or_accreditation(pdfs, accreditation):
    for text in texts(pdfs["attendance"]):
        flat = " ".join(text.split())
        assert "Bewijs van deelname" in flat
        assert "4 van 6" in flat
        for day, date in ((1, "2 februari 2026"), (2, "16 februari 2026"), (4, "16 maart 2026"), (5, "30 maart 2026")):
            assert f"dag {day}, {date}" in flat
        assert "2 maart 2026" not in flat  # day 3, not attended
        for claim in ("Afgerond", "afronden", THEME, "Registerthema", "Studiebelasting", "contacturen", "60 uur"):
            assert claim not in flat, claim
        assert accreditation.number not in flat
        assert "Schoolleidersregister" not in flat
        assert "Punten" not in flat
        assert "00123456" not in flat  # no register number: nothing to report to the register
        assert "geen certificaat" in flat


def test_a_certificate_still_prints_completion_hours_theme_and_accreditation(pdfs, accreditation):
    last_day = FIRST_DAY.replace(month=4, day=13)
    for text in texts(pdfs["certificate"]):
        flat = " ".join(text.split())
        assert "Certificaat" in flat
        assert f"Afgerond op {last_day.day} april {last_day.year}" in flat
        assert THEME in flat
        assert "36 contacturen, 24 uur zelfstudie; in totaal 60 uur" in flat
        assert accreditation.number in flat
        assert "00942561" in flat


@pytest.mark.parametrize("kind", ["certificate", "attendance"])
def test_page_one_renders_to_a_png(pdfs, kind, tmp_path):
    """Rendered with pdftoppm; the PNG is for looking at, this checks only that poppler draws the page whole."""
    prefix = tmp_path / kind
    run("pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", "-singlefile", str(pdfs[kind]), str(prefix))
    png = prefix.with_suffix(".png").read_bytes()
    assert png.startswith(b"\x89PNG")
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (468, 331)  # A4 landscape at 40 dpi


@pytest.mark.parametrize("kind", ["certificate", "attendance"])
def test_the_printed_qr_code_reads_back_as_the_verification_address(pdfs, kind, tmp_path):
    """zbarimg, a barcode reader of its own, finds the verification address in page 1 drawn at 150 dpi."""
    require_service("zbarimg", shutil.which("zbarimg") is not None, "apt-get install zbar-tools")
    prefix = tmp_path / f"{kind}-qr"
    run("pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", "-singlefile", str(pdfs[kind]), str(prefix))
    found = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(prefix.with_suffix(".png"))],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    ).stdout.split()

    certificate = Certificate.objects.get(kind=kind)
    assert found == [services.verification_url(certificate)]
