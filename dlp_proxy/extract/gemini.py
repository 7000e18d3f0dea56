"""Google Gemini ``generateContent`` / ``streamGenerateContent`` / ``countTokens`` / ``embedContent``.

Bodies come in camelCase (REST docs, google-genai SDK) or snake_case (also accepted by the API):
``contents[].parts[].text``, ``systemInstruction`` / ``system_instruction`` (kind ``system``),
``functionCall.args`` (tool arguments), ``functionResponse.response`` (tool result), ``inlineData`` /
``inline_data`` (always base64: PDF/DOCX/text read as documents, images/audio/video unscannable),
``fileData`` (a file uploaded earlier through the Files API — scanned at upload — is a reference; any
other URI is fetched by Google and reported as unreadable or as its media kind).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from .jsonspan import JsonPath
from .walker import STRUCTURAL_KEYS, Adapter, Loc

_FILES_API_HOSTS = ("generativelanguage.googleapis.com",)


class GeminiAdapter(Adapter):
    name = "gemini"
    structural = STRUCTURAL_KEYS | {
        "responseModalities",
        "response_modalities",
        "mediaResolution",
        "category",  # safetySettings
        "threshold",
        "mode",  # functionCallingConfig
    }

    def special(self, node: dict[str, Any], path: JsonPath, kind: str, loc: Loc) -> bool:
        uri = node.get("fileUri", node.get("file_uri"))
        if isinstance(uri, str) and path and path[-1] in ("fileData", "file_data"):
            host = urlsplit(uri).hostname or ""
            if host not in _FILES_API_HOSTS:
                media = str(node.get("mimeType", node.get("mime_type", "")))
                major = media.split("/", 1)[0]
                what = major if major in ("image", "audio", "video") else "document_unreadable"
                self.b.cannot_scan(what, loc.where(path))
            return True
        return super().special(node, path, kind, loc)
