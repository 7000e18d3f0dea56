"""Read the text out of an uploaded or inline document: PDF (pypdf), office files, plain text, image
metadata.

What cannot be read is said so, never guessed at: an encrypted or corrupt PDF, a PDF whose pages are
only images, an unknown binary is ``document_unreadable``; images, audio and video are reported as such
(the policy decides per tool what to do with content it cannot scan).

The content is typed by its bytes, never by the declared media type alone: a PDF sent as
``text/plain`` is a PDF, and an "image/png" or "audio/wav" whose bytes are text is text (the provider
reads it as such). Office files are read whole — DOCX (python-docx for the body) and every XML part of
an OOXML or OpenDocument package: XLSX cells and shared strings, PPTX slides and notes, comments,
headers, footers, core and custom properties — because the provider receives all of them. Images keep
what a provider can read besides the pixels: PNG text chunks (``tEXt``/``zTXt``/``iTXt``), EXIF, XMP,
JPEG and GIF comments; that text is scanned (:attr:`Reading.metadata`).
"""

from __future__ import annotations

import base64
import binascii
import io
import logging
import mimetypes
import re
import struct
import zipfile
import zlib
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
    #: Text carried beside unscannable content (image metadata): scanned, never rewritten.
    metadata: str | None = None


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


# -- office packages (OOXML, OpenDocument) -----------------------------------------------------------

#: Parts with no text a provider shows (styles, themes, fonts, settings, relationships, media).
_NOISE_PARTS = re.compile(
    r"(^|/)(_rels/|\[Content_Types\]\.xml$|theme\d*\.xml$|fontTable\.xml$|settings\.xml$|webSettings\.xml$"
    r"|numbering\.xml$|styles(WithEffects)?\.xml$|tableStyles\.xml$|presProps\.xml$|viewProps\.xml$"
    r"|calcChain\.xml$|manifest\.xml$|.*\.rels$)",
    re.IGNORECASE,
)
_ODF_HEADERS = re.compile(
    r"\{urn:oasis:names:tc:opendocument:xmlns:style:1\.0\}(header|footer)(-left|-first)?$"
)


def _xml_text(blob: bytes, odf_styles: bool = False) -> str:
    """Every text node of an XML part, one element per line (attributes hold layout, not content)."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)
    root = etree.fromstring(blob, parser)
    if odf_styles:  # OpenDocument styles.xml: only the page headers and footers are content
        roots = [e for e in root.iter() if isinstance(e.tag, str) and _ODF_HEADERS.search(e.tag)]
    else:
        roots = [root]
    out = []
    for r in roots:
        for node in r.iter():
            if isinstance(node.tag, str) and node.text and node.text.strip():
                out.append(node.text.strip())
    return "\n".join(out)


def office_text(data: bytes) -> str | None:
    """Text of an OOXML (DOCX/XLSX/PPTX) or OpenDocument package; None for another zip or a damaged one.

    The DOCX body keeps its layout (python-docx); every other XML part adds its text nodes: XLSX shared
    strings, cell values and comments, PPTX slides, notes and comments, document properties (core,
    custom, app), ODF content, meta, and page headers/footers.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if sum(info.file_size for info in infos) > MAX_UNZIPPED:
                return None
            names = [i.filename for i in infos]
            is_ooxml = "[Content_Types].xml" in names
            is_odf = "mimetype" in names and "content.xml" in names
            if not (is_ooxml or is_odf):
                return None
            parts: list[str] = []
            body_read = False
            if "word/document.xml" in names:
                body = docx_text(data)
                if body is None:
                    return None
                parts.append(body)
                body_read = True
            for name in names:
                odf_styles = is_odf and name == "styles.xml"
                if not name.lower().endswith(".xml") or (_NOISE_PARTS.search(name) and not odf_styles):
                    continue
                if body_read and _WORD_PARTS.search("/" + name):
                    continue  # already read with its layout
                parts.append(_xml_text(archive.read(name), odf_styles=odf_styles))
    except Exception:  # a damaged package, an XML error: unreadable, never half-read silently
        return None
    text = "\n".join(p for p in parts if p.strip())
    return text if text.strip() else None


# -- image metadata ----------------------------------------------------------------------------------

_MIN_STRING = 4
_STRINGS = re.compile(rb"[\x20-\x7e\t\n\r]{%d,}" % _MIN_STRING)


def _strings(blob: bytes) -> list[str]:
    """Printable runs of a binary metadata block (EXIF values are short ASCII strings)."""
    try:
        text = blob.decode("utf-8")
        if text.isprintable() or all(c.isprintable() or c in "\t\n\r" for c in text):
            return [text]
    except UnicodeDecodeError:
        pass
    return [m.group().decode("ascii") for m in _STRINGS.finditer(blob)]


def _inflate(data: bytes) -> bytes:
    d = zlib.decompressobj()
    out = d.decompress(data, MAX_UNZIPPED)
    return out


def _png_text(data: bytes) -> list[str]:
    out: list[str] = []
    pos = 8
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        ctype = data[pos + 4 : pos + 8]
        chunk = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if ctype == b"tEXt":
            key, _, value = chunk.partition(b"\x00")
            out.append(key.decode("latin-1") + " " + value.decode("latin-1"))
        elif ctype == b"zTXt":
            key, _, rest = chunk.partition(b"\x00")
            out.append(key.decode("latin-1") + " " + _inflate(rest[1:]).decode("latin-1"))
        elif ctype == b"iTXt":
            key, _, rest = chunk.partition(b"\x00")
            compressed, rest = rest[:1] == b"\x01", rest[2:]
            lang, _, rest = rest.partition(b"\x00")
            translated, _, value = rest.partition(b"\x00")
            if compressed:
                value = _inflate(value)
            out.append(" ".join(x.decode("utf-8", "replace") for x in (key, lang, translated, value)))
        elif ctype in (b"eXIf", b"iCCP"):
            out.extend(_strings(chunk if ctype == b"eXIf" else b""))
        elif ctype == b"IEND":
            break
    return out


def _jpeg_text(data: bytes) -> list[str]:
    out: list[str] = []
    pos = 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        segment = data[pos + 4 : pos + 2 + length]
        if marker == 0xDA:  # start of scan: the pixels follow, no more metadata
            break
        if marker == 0xFE or 0xE1 <= marker <= 0xEF:  # comment, EXIF, XMP, IPTC…
            out.extend(_strings(segment))
        pos += 2 + length
    return out


def _riff_text(data: bytes) -> list[str]:
    out: list[str] = []
    pos = 12
    while pos + 8 <= len(data):
        ctype = data[pos : pos + 4]
        (length,) = struct.unpack("<I", data[pos + 4 : pos + 8])
        if ctype in (b"EXIF", b"XMP ", b"LIST", b"INFO", b"ICMT"):
            out.extend(_strings(data[pos + 8 : pos + 8 + length]))
        pos += 8 + length + (length & 1)
    return out


def image_metadata(data: bytes) -> str | None:
    """Text an image carries besides its pixels (PNG text chunks, EXIF, XMP, comments), or None."""
    try:
        if data.startswith(b"\x89PNG\r\n\x1a\n"):
            found = _png_text(data)
        elif data.startswith(b"\xff\xd8\xff"):
            found = _jpeg_text(data)
        elif data.startswith(b"RIFF"):
            found = _riff_text(data)
        elif data.startswith((b"GIF87a", b"GIF89a")):
            found = [m.group().decode("ascii") for m in _STRINGS.finditer(data) if len(m.group()) >= 8]
        else:
            found = []
    except (struct.error, zlib.error, ValueError):
        found = []
    text = "\n".join(f for f in found if f.strip())
    return text or None


def read_blob(data: bytes, media_type: str | None = None, filename: str | None = None) -> Reading:
    """What a file's bytes hold: its text, or the unscannable kind (and any text beside it)."""
    media = _media(media_type, filename)
    sniffed = _sniff(data)
    if sniffed == "pdf":
        text = pdf_text(data)
        return Reading(text=text) if text is not None else Reading(unscannable="document_unreadable")
    if sniffed == "zip":
        text = office_text(data)
        return Reading(text=text) if text is not None else Reading(unscannable="document_unreadable")
    if sniffed in ("image", "audio", "video"):
        return Reading(unscannable=sniffed, metadata=image_metadata(data))
    major = media.split("/", 1)[0]
    if major in ("image", "audio", "video"):
        # Declared media but no such signature: bytes that are text are read as text.
        text = _decode_text(data, declared_text=False)
        if text is not None and text.strip():
            return Reading(text=text)
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


def data_url_params(value: str) -> str:
    """The parameters of a ``data:`` URL (``;name=…;charset=…``), percent-decoded: the provider reads them."""
    m = _DATA_URL.match(value)
    if m is None:
        return ""
    from urllib.parse import unquote

    return unquote(m.group(2).replace(";", " ")).strip()
