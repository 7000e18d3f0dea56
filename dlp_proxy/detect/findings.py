"""What the detector reports: one typed span of the *original* text, never the value itself.

A finding carries offsets rather than the matched string so that the proxy can redact the exact
characters the client sent, and so that incidents and logs can be written without raw personal data.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    """One detected entity.

    ``start``/``end`` are Python character offsets (``text[start:end]``) in the original text as given
    to the engine, after mapping back from the normalised copy and from decoded blobs.
    ``recognizer`` names the recognizer that produced it, so a referent can tell *why* it was found.
    """

    entity_type: str
    start: int
    end: int
    score: float
    recognizer: str

    def to_dict(self) -> dict[str, object]:
        """The JSON shape used by ``dlp-proxy scan --json/--jsonl`` and by the proxy's internals."""
        return {
            "entity_type": self.entity_type,
            "start": self.start,
            "end": self.end,
            "score": round(self.score, 4),
            "recognizer": self.recognizer,
        }


def mask_value(entity_type: str, value: str) -> str:
    """A masked rendering of a detected value, for people (tables, incidents): shape without the data.

    E-mails keep the first letter of the local part and of the domain and the top-level domain
    (``j***@e***.fr``); numbers keep their first and last two digits and their separators
    (``06 ** ** ** 78``); words keep their first letter (``J*** D***``). A value too short to mask
    safely is fully starred.
    """
    value = value.strip()
    if entity_type == "EMAIL_ADDRESS" and "@" in value:
        local, _, domain = value.rpartition("@")
        host, dot, tld = domain.rpartition(".")
        return f"{local[:1]}***@{(host or domain)[:1]}***{dot}{tld if dot else ''}"
    alnum = [i for i, c in enumerate(value) if c.isalnum()]
    digits = sum(1 for c in value if c.isdigit())
    if digits >= max(4, len(alnum) // 2):
        keep = set(alnum[:2] + alnum[-2:]) if len(alnum) >= 8 else set()
        return "".join(c if (i in keep or not c.isalnum()) else "*" for i, c in enumerate(value))
    words = value.split()
    return " ".join(w[:1] + "*" * min(max(len(w) - 1, 1), 3) if len(w) > 1 else "*" for w in words)
