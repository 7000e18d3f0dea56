"""Documents: PDF (pypdf), DOCX (python-docx), plain text; what cannot be read is said so."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest

from dlp_proxy.extract import documents
from dlp_proxy.extract.documents import docx_text, pdf_text, read_blob
from tests.fixtures.requests.samples import (
    make_docx,
    make_odt,
    make_pdf,
    make_png,
    make_pptx,
    make_wav,
    make_xlsx,
)


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
        (b"\xff\x00\x17" * 10, "image/jpeg", None, "image"),  # no signature, not text: the declared kind
        (b"\x00\x01\xff" * 10, None, "voice.mp3", "audio"),
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


# -- what a provider reads that the declared type hides ------------------------------------------------

NIR = "1 85 05 78 006 084 91"


def test_an_image_whose_bytes_are_text_is_text() -> None:
    reading = read_blob(f"NIR {NIR}".encode(), "image/png", "photo.png")
    assert reading == documents.Reading(text=f"NIR {NIR}")


def test_png_text_chunks_are_read_beside_the_image() -> None:
    reading = read_blob(make_png({"Comment": f"NIR {NIR}", "Author": "Jean Dupont"}), "image/png")
    assert reading.unscannable == "image"
    assert reading.metadata is not None
    assert f"NIR {NIR}" in reading.metadata and "Jean Dupont" in reading.metadata


def test_png_without_text_has_no_metadata() -> None:
    assert read_blob(make_png()) == documents.Reading(unscannable="image")


def test_jpeg_comment_and_exif_strings_are_read() -> None:
    comment = b"jean.dupont@exemple.fr"
    exif = b"Exif\x00\x00MM\x00*\x00\x00\x00\x08" + b"Artist Jean Dupont\x00"
    jpeg = (
        b"\xff\xd8"
        + b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment
        + b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif
        + b"\xff\xda\x00\x02" + b"\x12\x34" * 50
    )  # fmt: skip
    reading = read_blob(jpeg, "image/jpeg")
    assert reading.unscannable == "image"
    assert reading.metadata is not None
    assert "jean.dupont@exemple.fr" in reading.metadata and "Artist Jean Dupont" in reading.metadata


def test_docx_core_description_is_read() -> None:
    text = read_blob(make_docx(["Rien ici."], description=f"NIR {NIR}")).text
    assert text is not None and "Rien ici." in text and f"NIR {NIR}" in text


def test_xlsx_cells_shared_strings_and_properties_are_read() -> None:
    raw = make_xlsx(["Jean Dupont"], "4970101234567899", title="Dossier client")
    text = read_blob(raw, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet").text
    assert text is not None
    assert "Jean Dupont" in text and "4970101234567899" in text and "Dossier client" in text
    assert "Calibri" not in text  # styles are layout, not content


def test_pptx_slides_and_notes_are_read() -> None:
    text = read_blob(make_pptx("Titre", f"Notes : NIR {NIR}")).text
    assert text is not None and "Titre" in text and f"NIR {NIR}" in text


def test_odt_body_footer_and_meta_are_read() -> None:
    text = read_blob(make_odt("Corps", "Pied : jean@exemple.fr", f"NIR {NIR}")).text
    assert text is not None
    assert "Corps" in text and "jean@exemple.fr" in text and f"NIR {NIR}" in text
    assert "Liberation" not in text


def test_a_zip_that_is_no_office_file_is_unreadable() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("notes.txt", "secret")
    assert read_blob(out.getvalue()).unscannable == "document_unreadable"


def test_data_url_parameters() -> None:
    assert (
        documents.data_url_params("data:image/png;name=Jean%20Dupont;base64,AAAA")
        == "name=Jean Dupont base64"
    )
    assert documents.data_url_params("pas une url") == ""
