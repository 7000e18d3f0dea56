"""Documents: PDF (pypdf), DOCX (python-docx), plain text; what cannot be read is said so."""

from __future__ import annotations

import io
import zipfile

import pytest

from dlp_proxy.extract import documents
from dlp_proxy.extract.documents import docx_text, pdf_text, read_blob
from tests.fixtures.requests.samples import make_docx, make_pdf, make_png, make_wav


def test_pdf_text_is_read() -> None:
    reading = read_blob(make_pdf(["Jean Dupont", "IBAN FR76 3000 6000 0112 3456 7890 189", "Café (n°1)"]))
    assert reading.unscannable is None
    assert "Jean Dupont" in reading.text and "FR76 3000" in reading.text and "Café (n°1)" in reading.text


def test_pdf_sent_as_text_plain_is_still_a_pdf() -> None:
    assert "Jean" in (read_blob(make_pdf(["Jean"]), "text/plain").text or "")


def test_encrypted_pdf_is_unreadable_unless_the_password_is_empty() -> None:
    assert read_blob(make_pdf(["Jean"], password="secret")).unscannable == "document_unreadable"
    assert "Jean" in (read_blob(make_pdf(["Jean"], password="")).text or "")


@pytest.mark.parametrize("raw", [b"%PDF-1.7\n1 0 obj <<", b"%PDF-", make_pdf([])])
def test_corrupt_or_textless_pdf_is_unreadable(raw: bytes) -> None:
    assert read_blob(raw, "application/pdf") == documents.Reading(unscannable="document_unreadable")


def test_pdf_form_field_values_are_read() -> None:
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, DictionaryObject, FloatObject, NameObject, TextStringObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(["Formulaire"]))))
    field = DictionaryObject(
        {
            NameObject("/FT"): NameObject("/Tx"),
            NameObject("/T"): TextStringObject("nom"),
            NameObject("/V"): TextStringObject("Jean Dupont"),
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Widget"),
            NameObject("/Rect"): ArrayObject(
                [FloatObject(0), FloatObject(0), FloatObject(10), FloatObject(10)]
            ),
        }
    )
    ref = writer._add_object(field)  # noqa: SLF001
    writer._root_object[NameObject("/AcroForm")] = DictionaryObject(  # noqa: SLF001
        {NameObject("/Fields"): ArrayObject([ref])}
    )
    out = io.BytesIO()
    writer.write(out)
    text = pdf_text(out.getvalue())
    assert text is not None and "Formulaire" in text and "Jean Dupont" in text


def test_docx_body_table_header_and_tracked_deletions() -> None:
    raw = make_docx(
        ["Objet : dossier de Jean Dupont"], table=[["IBAN", "FR76 3000"]], header="Confidentiel RH"
    )
    text = read_blob(raw, documents.DOCX_MEDIA).text
    assert text is not None
    for piece in ("Jean Dupont", "IBAN", "FR76 3000", "Confidentiel RH"):
        assert piece in text
    # a tracked deletion is still in the file the provider receives
    src = io.BytesIO(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "word/document.xml":
                data = data.replace(
                    b"</w:body>",
                    b'<w:p><w:del w:id="1" w:author="a"><w:r><w:delText>Marie Curie</w:delText></w:r></w:del>'
                    b"</w:p></w:body>",
                )
            zout.writestr(item, data)
    assert "Marie Curie" in (docx_text(out.getvalue()) or "")


def test_other_zip_files_and_zip_bombs_are_unreadable(monkeypatch: pytest.MonkeyPatch) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    assert read_blob(buf.getvalue()).unscannable == "document_unreadable"
    raw = make_docx(["Jean"])
    monkeypatch.setattr(documents, "MAX_UNZIPPED", 1000)
    assert read_blob(raw).unscannable == "document_unreadable"


@pytest.mark.parametrize(
    ("raw", "media", "text"),
    [
        ("Nom;Prénom\nDupont;Jean\n".encode("cp1252"), "text/csv", "Nom;Prénom\nDupont;Jean\n"),
        ("Élodie".encode("utf-16"), "text/plain", "Élodie"),
        (b"\xef\xbb\xbfJean", None, "Jean"),
        ("Réunion".encode(), "application/octet-stream", "Réunion"),
        (b'{"nom": "Jean"}', "application/json", '{"nom": "Jean"}'),
    ],
)
def test_plain_text_files(raw: bytes, media: str | None, text: str) -> None:
    assert read_blob(raw, media).text == text


@pytest.mark.parametrize(
    ("raw", "media", "filename", "kind"),
    [
        (make_png(), None, None, "image"),
        (make_png(), "application/octet-stream", "x.bin", "image"),
        (make_wav(), None, None, "audio"),
        (b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 32, None, None, "video"),
        (b"\x00\x00\x00\x18ftypM4A " + b"\x00" * 32, None, None, "audio"),
        (b"abc", "image/jpeg", None, "image"),
        (b"abc", None, "voice.mp3", "audio"),
        (b"\x00\x01\x02\x03" * 100, "application/octet-stream", None, "document_unreadable"),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,
            "application/msword",
            "a.doc",
            "document_unreadable",
        ),
        ("pas du cp1252 \x81".encode("latin-1") + b"\xff\xfe\x00", None, None, "document_unreadable"),
    ],
)
def test_unscannable_files(raw: bytes, media: str | None, filename: str | None, kind: str) -> None:
    assert read_blob(raw, media, filename) == documents.Reading(unscannable=kind)
