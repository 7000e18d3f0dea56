"""The ChatGPT web app's conversation endpoint (``/backend-api/conversation``, ``…/f/conversation``,
``/backend-anon/…``).

The format is not documented by OpenAI. It is built here from public descriptions of what the browser
sends (browser developer-tools write-ups and open-source unofficial clients): ``{"action": "next",
"messages": [{"id", "author": {"role"}, "content": {"content_type": "text" | "multimodal_text" |
"user_editable_context", "parts": [...]}, "metadata": {"attachments": [...]}}], "parent_message_id",
"conversation_id", "model", ...}``. Parts are strings, or objects such as ``image_asset_pointer``
(an uploaded image: unscannable). ``user_editable_context`` carries the user's custom instructions
(``user_profile``, ``user_instructions``: kind ``system``). Unknown fields are scanned like any JSON
string, so a change in the format cannot hide text; only the app's vocabulary below is skipped.
"""

from __future__ import annotations

from typing import Any

from .jsonspan import JsonPath
from .walker import STRUCTURAL_KEYS, Adapter

_VOCABULARY = frozenset(
    {
        "action",
        "kind",
        "supported_encodings",
        "system_hints",
        "paragen_cot_summary_display_override",
        "conversation_origin",
        "client_prepare_state",
        "variant_purpose",
        "path_to_message",
        "selected_github_repos",
        "selected_all_github_repos",
        "serialization_metadata",
        "dictation",
        "developer_mode_connector_ids",
        "selected_connector_ids",
        "selected_sources",
        "client_reported_search_source",
        "mime_type",
    }
)


class ChatGPTWebAdapter(Adapter):
    name = "chatgpt-web"
    structural = STRUCTURAL_KEYS | _VOCABULARY

    def child_kind(self, parent: dict[str, Any], key: str, value: Any, kind: str, path: JsonPath) -> str:
        author = parent.get("author")
        if key == "content" and isinstance(author, dict):
            role = str(author.get("role", "")).lower()
            if role in ("system", "developer"):
                return "system"
            if role == "tool":
                return "tool_result"
        if key in ("user_profile", "user_instructions"):
            return "system"
        return super().child_kind(parent, key, value, kind, path)
