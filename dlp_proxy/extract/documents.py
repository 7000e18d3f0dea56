"""Read the text out of an uploaded or inline document: PDF (pypdf), DOCX (python-docx), plain text.

What cannot be read is said so, never guessed at: an encrypted or corrupt PDF, a PDF whose pages are
only images, another office format or an unknown binary is ``document_unreadable``; images, audio and
video are reported as such (the policy decides per tool what to do with content it cannot scan).
The content is sniffed before the declared media type is trusted: a PDF sent as ``text/plain`` is a PDF.
"""

from __future__ import annotations

import base64
import binascii
import io
import logging
import mimetypes
import re
import zipfile
from dataclasses import dataclass

#: Past this many uncompressed bytes a DOCX is treated as a zip bomb, not read.
MAX_UNZIPPED = 64 * 1024 * 1024
#: Shortest string the generic walker tries as base64 (shorter ones are ordinary text).
MIN_BASE64_LEN = 256

DOCX_MEDIA = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_TEXT_MEDIA = frozenset(
    {
        "application/json",
        "application/xml",
        "application/x-ndjson",
        "application/jsonl",
        "application/csv",
        "application/javascript",
        "application/x-yaml",
        "application/yaml",
        "application/sql",
        "application/x-sh",
        "application/x-python",
        "application/rtf",
    }
)
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]+={0,2}")
_DATA_URL = re.compile(
    r"data:((?:[a-z0-9.+-]+/[a-z0-9.+-]+)?)((?:;[a-z0-9.+-]+(?:=[^,;]*)?)*),", re.IGNORECASE
)

# pypdf reports every oddity of a malformed PDF as a warning: they say nothing to our users.
logging.getLogger("pypdf").setLevel(logging.ERROR)


@dataclass(frozen=True)
class Reading:
    """What a blob turned out to be: its text, or why it has none (an ``Unscannable`` kind)."""

    text: str | None = None
    unscannable: str | None = None


def _media(declared: str | None, filename: str | None) -> str:
    media = (declared or "").split(";", 1)[0].strip().lower()
    if (not media or media in ("application/octet-stream", "binary/octet-stream")) and filename:
        guessed, _ = mimetypes.guess_type(filename, strict=False)
        media = (guessed or media).lower()
    return media


def _sniff(data: bytes) -> str | None:
    """The kind of content from its first bytes: pdf, zip, image, audio, video, or None."""
    head = data[:64]
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*")):
        return "image"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "audio"
    if head.startswith((b"ID3", b"OggS", b"fLaC", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2", b"\x1aE\xdf\xa3")):
        return "audio"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"heic", b"heix", b"avif", b"mif1", b"msf1"):
            return "image"
        if brand.startswith(b"M4A"):
            return "audio"
        return "video"
    return None


def _decode_text(data: bytes, declared_text: bool) -> str | None:
    """Text of a plain-text file: BOM, then UTF-8, then (declared text only) Windows-1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    if b"\x00" in data[:4096]:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        if not declared_text:
            return None
        # French files saved by Windows tools are often in Windows-1252.
        return data.decode("cp1252", errors="replace")
    controls = sum(1 for c in text[:4096] if ord(c) < 32 and c not in "\t\n\r\f")
    if controls > max(8, len(text[:4096]) // 50):
        return None
    return text


def pdf_text(data: bytes) -> str | None:
    """All page text plus filled form-field values; None when the PDF cannot be read."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            return None  # needs a password: its content is out of our sight
        parts = [page.extract_text() or "" for page in reader.pages]
        fields = reader.get_fields() or {}
        for field in fields.values():
            value = field.get("/V")
            if isinstance(value, str) and value.strip():
                parts.append(str(value))
    except Exception:  # pypdf raises many kinds of error on damaged files: all mean "unreadable"
        return None
    text = "\n".join(p for p in parts if p)
    return text if text.strip() else None


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_WORD_PARTS = re.compile(r"/word/(document|header\d*|footer\d*|footnotes|endnotes|comments)\.xml$")


def docx_text(data: bytes) -> str | None:
    """Text of every paragraph of the body, tables, text boxes, headers, footers, notes and comments.

    Tracked deletions (``w:delText``) are included: they are in the file the provider receives.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNZIPPED:
                return None
            if "word/document.xml" not in archive.namelist():
                return None
        import docx
        from docx.oxml import parse_xml

        document = docx.Document(io.BytesIO(data))
        out: list[str] = []
        for part in document.part.package.iter_parts():
            if not _WORD_PARTS.search(str(part.partname)):
                continue
            element = getattr(part, "element", None)
            if element is None:
                element = parse_xml(part.blob)
            for node in element.iter(f"{_W}p", f"{_W}t", f"{_W}delText", f"{_W}tab", f"{_W}br", f"{_W}cr"):
                tag = node.tag
                if tag in (f"{_W}t", f"{_W}delText"):
                    out.append(node.text or "")
                elif tag == f"{_W}tab":
                    out.append("\t")
                else:
                    out.append("\n")
    except Exception:  # a damaged package, an XML error: unreadable, never half-read silently
        return None
    text = "".join(out).strip("\n")
    return text if text.strip() else None


def read_blob(data: bytes, media_type: str | None = None, filename: str | None = None) -> Reading:
    """What a file's bytes hold: its text, or the unscannable kind."""
    media = _media(media_type, filename)
    sniffed = _sniff(data)
    if sniffed == "pdf":
        text = pdf_text(data)
        return Reading(text=text) if text is not None else Reading(unscannable="document_unreadable")
    if sniffed == "zip":
        text = docx_text(data)
        return Reading(text=text) if text is not None else Reading(unscannable="document_unreadable")
    if sniffed in ("image", "audio", "video"):
        return Reading(unscannable=sniffed)
    major = media.split("/", 1)[0]
    if major in ("image", "audio", "video"):
        return Reading(unscannable=major)
    declared_text = (
        major == "text" or media in _TEXT_MEDIA or media.endswith(("+json", "+xml")) or media == "text"
    )
    if media in ("application/pdf", DOCX_MEDIA, "application/msword") and not declared_text:
        return Reading(unscannable="document_unreadable")
    text = _decode_text(data, declared_text)
    if text is None:
        return Reading(unscannable="document_unreadable")
    return Reading(text=text)


def b64decode(value: str) -> bytes | None:
    """Standard or URL-safe base64 (line breaks allowed); None when it is not base64."""
    compact = "".join(value.split())
    if not compact or len(compact) % 4 == 1:
        return None
    padded = compact + "=" * (-len(compact) % 4)
    try:
        if "-" in compact or "_" in compact:
            return base64.urlsafe_b64decode(padded)
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return None


def parse_data_url(value: str) -> tuple[str, bytes] | None:
    """``data:<media>[;base64],<data>`` → (media type, bytes); None when it is not a data URL."""
    m = _DATA_URL.match(value)
    if m is None:
        return None
    payload = value[m.end() :]
    if ";base64" in m.group(2).lower():
        data = b64decode(payload)
        if data is None:
            return None
    else:
        from urllib.parse import unquote_to_bytes

        data = unquote_to_bytes(payload)
    return (m.group(1).strip().lower() or "text/plain"), data


def looks_like_base64_blob(value: str) -> bool:
    """A long run of base64 with no spaces: a file, not a sentence (spaces never occur in base64).

    Base64 of a file mixes upper case, lower case and digits; a run of digits and capitals (IBANs
    glued together) or of hex is not taken for a file, so it is scanned as text.
    """
    if len(value) < MIN_BASE64_LEN or " " in value[:MIN_BASE64_LEN]:
        return False
    compact = "".join(value.split())
    if _BASE64.fullmatch(compact) is None:
        return False
    head = compact[:512]
    return (
        any(c.isdigit() for c in head) and any(c.islower() for c in head) and any(c.isupper() for c in head)
    )
