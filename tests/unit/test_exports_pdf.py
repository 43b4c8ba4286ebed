"""The printable transcript: names, statuses and a verification link and QR code per entry."""

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from ledger.projections.exports.transcript_pdf import FontNotFound, transcript_pdf
from tests.unit.exports_samples import FAMILY, GIVEN, georgian_record, latin_record, records


def read(data: bytes) -> tuple[str, PdfReader]:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages), reader


def test_georgian_and_latin_names_come_out_byte_for_byte():
    text, _ = read(transcript_pdf(georgian_record()))
    assert f"{GIVEN} {FAMILY}" in text
    assert "მზის ფოტოვოლტური სისტემების მონტაჟი" in text
    text, _ = read(transcript_pdf(latin_record()))
    assert "Jonas Müller" in text


def test_every_credential_has_its_status_a_verify_link_and_a_qr_code():
    record = georgian_record()
    text, reader = read(transcript_pdf(record))
    for item in record.credentials:
        assert record.urls.verification(item.id) in text
    assert "Status: REVOKED" in text
    assert "Status: SUSPENDED" in text
    assert text.count("Status: Active") == 5
    links = {a.get_object()["/A"]["/URI"] for page in reader.pages
             for a in page.get("/Annots", [])}
    assert links == {record.urls.verification(item.id) for item in record.credentials}
    images = sum(len(page.images) for page in reader.pages)
    assert images == len(record.credentials)


def test_a_stack_lists_its_components_under_it():
    text, _ = read(transcript_pdf(georgian_record()))
    stack = text.index("Stack: Data Science Essentials")
    assert stack < text.index("Component: Python Programming") < \
        text.index("Component: Machine Learning Foundations")


def test_an_erased_learner_is_named_as_withheld_and_the_same_record_prints_the_same_bytes():
    erased = records()[2]
    text, _ = read(transcript_pdf(erased))
    assert "Name withheld" in text
    assert transcript_pdf(erased) == transcript_pdf(records()[2])


def test_a_missing_font_is_a_clear_error(tmp_path: Path):
    with pytest.raises(FontNotFound, match="fonts-dejavu-core"):
        transcript_pdf(georgian_record(), font_path=tmp_path / "missing.ttf")
