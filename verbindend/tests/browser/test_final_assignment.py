"""
Two participants upload their own final assignment, each in a browser of their own, through the public form.

The Django test client skips CSRF and is one visitor: here each participant
opens their page, sends the form with their own CSRF token and file, and sees
only their own upload; a file that is not what its name says is refused, in
Dutch, and changes nothing.
"""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from cohorts.models import Participant
from cohorts.services import links
from cohorts.tests.factories import ParticipantFactory
from materials.models import Submission
from materials.tests.factories import PDF, docx_bytes

from .helpers import assert_accessible, new_page
from .test_visitors import link, placed_registration

pytestmark = pytest.mark.browser


def upload(page, *, name: str, content: bytes, mime: str) -> None:
    page.set_input_files("#assignment-file", files=[{"name": name, "mimeType": mime, "buffer": content}])
    page.get_by_role("button", name="Uploaden").click()
    page.wait_for_load_state()


def test_two_participants_upload_their_own_final_assignment(browser, stack):
    registration = placed_registration()
    programme = registration.cohort.programme
    programme.final_assignment_required = True
    programme.save(update_fields=["final_assignment_required"])
    anna = ParticipantFactory(registration=registration, first_name="Anna", last_name="Aalbers")
    bram = ParticipantFactory(registration=registration, first_name="Bram", last_name="Bakker")
    assert {anna.status, bram.status} == {Participant.Status.ENROLLED}

    pages = {}
    for person in (anna, bram):
        page = new_page(browser, base_url=stack.url)
        page.goto(link(stack, links.participant_page_url, person))
        expect(page.locator("#assignment-title")).to_have_text("Eindopdracht")
        pages[person.first_name] = page
    assert_accessible(pages["Anna"], "participant-page-final-assignment")

    # Both forms were open before either was sent.
    upload(pages["Anna"], name="anna.pdf", content=PDF, mime="application/pdf")
    upload(pages["Bram"], name="bram.exe.pdf", content=b"MZ\x90\x00" + b"\x00" * 60, mime="application/pdf")
    expect(pages["Bram"].locator(".alert")).to_contain_text("De inhoud van het bestand is geen .pdf-bestand.")
    upload(pages["Bram"], name="bram.docx", content=docx_bytes(), mime="application/octet-stream")

    for name, page in pages.items():
        expect(page.locator(".alert")).to_contain_text("Uw eindopdracht is ontvangen.")
        expect(page.locator("#assignment-state")).to_contain_text("ingeleverd, wacht op beoordeling")
        other = "Bram" if name == "Anna" else "Anna"
        assert other.lower() not in page.locator("#assignment-state").inner_text().lower()
    files = {s.participant.first_name: s for s in Submission.objects.select_related("participant")}
    assert {name: s.filename for name, s in files.items()} == {"Anna": "anna.pdf", "Bram": "bram.docx"}
    stored = Path(stack.env["PRIVATE_FILES_ROOT"])
    assert (stored / files["Anna"].file.name).read_bytes() == PDF

    # Each downloads their own file back through their own link.
    with pages["Anna"].expect_download() as download:
        pages["Anna"].locator("#assignment-state a").click()
    assert download.value.suggested_filename == "anna.pdf"
    assert Path(download.value.path()).read_bytes() == PDF
