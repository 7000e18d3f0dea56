"""The generic adapter, for every AI host without a dedicated one (and for unknown endpoints).

Every string of a JSON body is a segment (the shared walk, with its rules for images, documents,
tool arguments …), every value of a url-encoded form or query string, every text part of a multipart
body, a text body as a whole; a body that is itself a file (PDF, DOCX, text) is read as a document.
"""

from __future__ import annotations

from .walker import Adapter


class GenericAdapter(Adapter):
    name = "generic"
