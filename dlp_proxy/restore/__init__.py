"""Give answers back with the original values: pseudonyms in JSON bodies and in streams are restored.

* ``TextRestorer(mapping)``: one text arriving in pieces; ``feed(text) -> str``, ``finish() -> str``.
* ``make_stream_restorer(kind, mapping)``: a ``flow.response.stream`` callable for SSE / NDJSON answers;
  ``stream_kind(path, content_type)`` picks the kind.
* ``restore_json_body(body, mapping)``: a whole JSON answer.

``mapping`` is pseudonym → original (``PseudonymVault.mapping()``), or the compiled ``Replacements``
(``PseudonymVault.replacements()``, cached per vault).
"""

from dlp_proxy.restore.body import restore_json_body, restore_json_text
from dlp_proxy.restore.stream import (
    STREAM_KINDS,
    StreamRestorer,
    make_stream_restorer,
    stream_for,
    stream_kind,
)
from dlp_proxy.restore.text import Replacements, TextRestorer, restore_value

__all__ = [
    "STREAM_KINDS",
    "Replacements",
    "StreamRestorer",
    "TextRestorer",
    "make_stream_restorer",
    "restore_json_body",
    "restore_json_text",
    "restore_value",
    "stream_for",
    "stream_kind",
]
