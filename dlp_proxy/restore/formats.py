"""What to restore in each API's stream events, and where a streamed field ends.

A *field* is one text that grows delta by delta: choice 0's ``content``, tool call 1's ``arguments``,
Anthropic content block 2's ``text``. Each field has its own ``TextRestorer``: when a delta ends with the
beginning of a pseudonym, that fragment is held and put in front of the next delta of the same field, and
the event goes out at once with the shortened delta. When the field ends (finish reason,
``content_block_stop``, a ``*.done`` event, ``[DONE]``, the end of the stream) the held fragment goes out
as it is — inside the closing event when the API lets a delta ride on it, else in a small extra delta event
put just before.

Tool-call arguments are JSON text: a value put back there is JSON-escaped (``Replacements.json``).
Events that carry whole texts (``response.output_text.done``, ``response.completed``, ``message_start``,
Cohere's ``stream-end``…) get every string restored at once. Thinking blocks that the API signs (Anthropic
``thinking_delta``) are left as they are: changing them would break the signature when sent back.

Handlers change the parsed event in place and answer ``(event, changed, before)``: ``before`` lists extra
events ``(sse_event_name, payload)`` to send ahead of this one. The framing (SSE or NDJSON) is elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from dlp_proxy.restore.text import Replacements, TextRestorer, restore_value

Extra = tuple[str | None, Any]  # (SSE event name or None, JSON payload)
Result = tuple[Any, bool, list[Extra]]
Flush = Callable[[str], Extra]


class Fields:
    """The open fields of one stream, each with its restorer and how to send its held fragment alone."""

    def __init__(self, repl: Replacements) -> None:
        self._repl = repl
        self._open: dict[Hashable, tuple[TextRestorer, Flush]] = {}
        self.touched: set[Hashable] = set()  # keys fed since the handler last cleared it

    def __repr__(self) -> str:
        return f"<Fields open={len(self._open)}>"

    def feed(self, key: Hashable, text: str, flush: Flush, *, json_text: bool = False) -> str:
        item = self._open.get(key)
        restorer = item[0] if item else TextRestorer(self._repl.json if json_text else self._repl)
        self._open[key] = (restorer, flush)
        self.touched.add(key)
        return restorer.feed(text)

    def close_where(self, keep: Callable[[Any], bool]) -> list[tuple[Any, str, Flush]]:
        """End the fields whose key satisfies ``keep``; their non-empty held fragments, in opening order."""
        out = []
        for key in [k for k in self._open if keep(k)]:
            restorer, flush = self._open.pop(key)
            fragment = restorer.finish()
            if fragment:
                out.append((key, fragment, flush))
        return out

    def close_all(self) -> list[tuple[Any, str, Flush]]:
        return self.close_where(lambda _key: True)

    def held_chars(self) -> int:
        return max((len(r.held) for r, _ in self._open.values()), default=0)


def _extras(closed: list[tuple[Any, str, Flush]]) -> list[Extra]:
    return [flush(fragment) for _key, fragment, flush in closed]


def _feed_into(
    fields: Fields, container: dict, name: str, key: Hashable, flush: Flush, *, json_text: bool = False
) -> bool:
    """Feed ``container[name]`` to its field; write the emitted part back. True if it changed."""
    old = container[name]
    new = fields.feed(key, old, flush, json_text=json_text)
    if new != old:
        container[name] = new
        return True
    return False


def _dig(obj: Any, *path: str) -> Any:
    for name in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(name)
    return obj


class Handler:
    """Generic: every string of every event restored whole; no field spans events."""

    def __init__(self, repl: Replacements) -> None:
        self.repl = repl
        self.fields = Fields(repl)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    def on_json(self, obj: Any, event: str | None) -> Result:
        obj, changed = restore_value(obj, self.repl)
        return obj, changed, []

    def on_text(self, data: str, event: str | None) -> list[Extra]:
        """A ``data:`` payload that is not JSON (``[DONE]``): end every field before it."""
        return _extras(self.fields.close_all())

    def on_end(self) -> list[Extra]:
        return _extras(self.fields.close_all())


class OpenAIChat(Handler):
    """Chat Completions chunks (OpenAI, Azure, Mistral, Ollama/vLLM OpenAI-compatible servers)."""

    TEXT_FIELDS = ("content", "refusal", "reasoning_content", "reasoning")
    _TEMPLATE_KEYS = ("id", "object", "created", "model", "system_fingerprint", "service_tier")

    def __init__(self, repl: Replacements) -> None:
        super().__init__(repl)
        self._template: dict[str, Any] = {}

    def _chunk(self, idx: Any, delta: dict) -> Extra:
        return None, {**self._template, "choices": [{"index": idx, "delta": delta, "finish_reason": None}]}

    def on_json(self, obj: Any, event: str | None) -> Result:
        if not isinstance(obj, dict) or not isinstance(obj.get("choices"), list):
            return super().on_json(obj, event)
        self._template = {k: obj[k] for k in self._TEMPLATE_KEYS if k in obj}
        changed = False
        for pos, choice in enumerate(obj["choices"]):
            if not isinstance(choice, dict):
                continue
            idx = choice.get("index", pos)
            if isinstance(choice.get("text"), str):  # legacy /v1/completions
                changed |= _feed_into(
                    self.fields,
                    choice,
                    "text",
                    ("text", idx),
                    lambda f, idx=idx: (None, {**self._template, "choices": [{"index": idx, "text": f}]}),
                )
            self.fields.touched.clear()
            delta = choice.get("delta")
            if isinstance(delta, dict):
                changed |= self._delta(idx, delta)
            fed = set(self.fields.touched)
            if choice.get("finish_reason") is not None:
                closed = self.fields.close_where(lambda k, idx=idx: k[1] == idx)
            elif fed:  # a choice streams its fields one after the other: a new one ends the others
                closed = self.fields.close_where(lambda k, idx=idx, fed=fed: k[1] == idx and k not in fed)
            else:
                closed = []
            if closed:
                self._inject(choice, closed)
                changed = True
        return obj, changed, []

    def _delta(self, idx: Any, delta: dict) -> bool:
        changed = False
        for name in self.TEXT_FIELDS:
            if isinstance(delta.get(name), str):
                changed |= _feed_into(
                    self.fields, delta, name, (name, idx), lambda f, n=name: self._chunk(idx, {n: f})
                )
        if isinstance(delta.get("content"), list):  # content parts (some OpenAI-compatible servers)
            delta["content"], c = restore_value(delta["content"], self.repl)
            changed |= c
        audio = delta.get("audio")
        if isinstance(audio, dict) and isinstance(audio.get("transcript"), str):
            changed |= _feed_into(
                self.fields,
                audio,
                "transcript",
                ("audio", idx),
                lambda f: self._chunk(idx, {"audio": {"transcript": f}}),
            )
        call = delta.get("function_call")
        if isinstance(call, dict) and isinstance(call.get("arguments"), str):
            changed |= _feed_into(
                self.fields,
                call,
                "arguments",
                ("function_call", idx),
                lambda f: self._chunk(idx, {"function_call": {"arguments": f}}),
                json_text=True,
            )
        calls = delta.get("tool_calls")
        if isinstance(calls, list):
            for tpos, call in enumerate(calls):
                if not isinstance(call, dict):
                    continue
                tci = call.get("index", tpos)
                fn = call.get("function")
                if isinstance(fn, dict) and isinstance(fn.get("arguments"), str):
                    changed |= _feed_into(
                        self.fields,
                        fn,
                        "arguments",
                        ("tool", idx, tci),
                        lambda f, tci=tci: self._chunk(
                            idx, {"tool_calls": [{"index": tci, "function": {"arguments": f}}]}
                        ),
                        json_text=True,
                    )
        return changed

    @staticmethod
    def _inject(choice: dict, closed: list[tuple[Any, str, Flush]]) -> None:
        """Put the held fragments of a finishing choice into its last chunk's delta."""
        for key, fragment, _flush in closed:
            kind = key[0]
            if kind == "text":
                choice["text"] = (choice.get("text") or "") + fragment
                continue
            delta = choice.get("delta")
            if not isinstance(delta, dict):
                delta = choice["delta"] = {}
            if kind == "audio":
                audio = delta.setdefault("audio", {})
                audio["transcript"] = (audio.get("transcript") or "") + fragment
            elif kind == "function_call":
                call = delta.setdefault("function_call", {})
                call["arguments"] = (call.get("arguments") or "") + fragment
            elif kind == "tool":
                calls = delta.get("tool_calls")
                if not isinstance(calls, list):
                    calls = delta["tool_calls"] = []
                call = next((c for c in calls if isinstance(c, dict) and c.get("index") == key[2]), None)
                if call is None:
                    calls.append({"index": key[2], "function": {"arguments": fragment}})
                else:
                    fn = call.setdefault("function", {})
                    fn["arguments"] = (fn.get("arguments") or "") + fragment
            else:
                delta[kind] = (delta.get(kind) or "") + fragment


class OpenAIResponses(Handler):
    """Responses API events: ``*.delta`` fields, closed by their ``*.done`` (which carry the whole text)."""

    JSON_DELTAS = frozenset({"response.function_call_arguments.delta", "response.mcp_call_arguments.delta"})
    BINARY_DELTAS = frozenset({"response.audio.delta"})
    TERMINAL = frozenset(
        {"response.completed", "response.failed", "response.incomplete", "response.cancelled", "error"}
    )

    def on_json(self, obj: Any, event: str | None) -> Result:
        kind = obj.get("type") if isinstance(obj, dict) else None
        if not isinstance(kind, str):
            return super().on_json(obj, event)
        if kind.endswith(".delta") and isinstance(obj.get("delta"), str):
            if kind in self.BINARY_DELTAS:
                return obj, False, []
            key = (
                kind[: -len(".delta")],
                obj.get("item_id"),
                obj.get("output_index"),
                obj.get("content_index"),
                obj.get("summary_index"),
            )
            template = dict(obj)
            if isinstance(template.get("logprobs"), list):
                template["logprobs"] = []

            def flush(fragment: str) -> Extra:
                return event, {**template, "delta": fragment}

            changed = _feed_into(self.fields, obj, "delta", key, flush, json_text=kind in self.JSON_DELTAS)
            return obj, changed, []
        before = _extras(self.fields.close_where(lambda k: self._ends(kind, obj, k)))
        obj, changed = restore_value(obj, self.repl)
        return obj, changed, before

    def _ends(self, kind: str, obj: dict, key: tuple) -> bool:
        family, item_id, output_index, content_index, summary_index = key
        if kind in self.TERMINAL:
            return True
        if not kind.endswith(".done"):
            return False
        if kind == "response.output_item.done":
            item = obj.get("item")
            return obj.get("output_index") == output_index or (
                isinstance(item, dict) and item.get("id") is not None and item.get("id") == item_id
            )
        if obj.get("item_id") != item_id:
            return False
        if kind == "response.content_part.done":
            return obj.get("content_index") == content_index
        if kind == "response.reasoning_summary_part.done":
            return obj.get("summary_index") == summary_index
        return (
            kind[: -len(".done")] == family
            and obj.get("content_index") == content_index
            and obj.get("summary_index") == summary_index
        )


class Anthropic(Handler):
    """Messages API events: ``text_delta`` and ``input_json_delta`` per content block."""

    def on_json(self, obj: Any, event: str | None) -> Result:
        kind = obj.get("type") if isinstance(obj, dict) else None
        if kind == "content_block_delta":
            return self._delta(obj)
        before: list[Extra] = []
        if kind == "content_block_stop":
            idx = obj.get("index")
            before = _extras(self.fields.close_where(lambda k: k[1] == idx))
        elif kind in ("message_stop", "error"):
            before = _extras(self.fields.close_all())
        block = obj.get("content_block") if kind == "content_block_start" else None
        if isinstance(block, dict) and block.get("type") in ("thinking", "redacted_thinking"):
            return obj, False, before
        obj, changed = restore_value(obj, self.repl)
        return obj, changed, before

    def _delta(self, obj: dict) -> Result:
        idx = obj.get("index")
        delta = obj.get("delta")
        if not isinstance(delta, dict):
            return obj, False, []
        dtype = delta.get("type")

        def flush_as(name: str, dtype: Any) -> Flush:
            return lambda f: (
                "content_block_delta",
                {"type": "content_block_delta", "index": idx, "delta": {"type": dtype, name: f}},
            )

        if dtype == "text_delta" and isinstance(delta.get("text"), str):
            changed = _feed_into(self.fields, delta, "text", ("text", idx), flush_as("text", dtype))
        elif dtype == "input_json_delta" and isinstance(delta.get("partial_json"), str):
            changed = _feed_into(
                self.fields,
                delta,
                "partial_json",
                ("json", idx),
                flush_as("partial_json", dtype),
                json_text=True,
            )
        elif dtype == "citations_delta":
            _, changed = restore_value(delta, self.repl)
        else:  # thinking_delta, signature_delta: signed by the API, left untouched
            changed = False
        return obj, changed, []


class Gemini(Handler):
    """``streamGenerateContent?alt=sse`` chunks: ``candidates[].content.parts[].text`` per candidate."""

    def __init__(self, repl: Replacements) -> None:
        super().__init__(repl)
        self._template: dict[str, Any] = {}

    def _chunk(self, ci: Any, part: dict) -> Extra:
        cand = {"content": {"parts": [part], "role": "model"}, "index": ci}
        return None, {"candidates": [cand], **self._template}

    def on_json(self, obj: Any, event: str | None) -> Result:
        if not isinstance(obj, dict) or not isinstance(obj.get("candidates"), list):
            return super().on_json(obj, event)
        self._template = {k: obj[k] for k in ("modelVersion", "responseId") if k in obj}
        changed = False
        for pos, cand in enumerate(obj["candidates"]):
            if not isinstance(cand, dict):
                continue
            ci = cand.get("index", pos)
            parts = _dig(cand, "content", "parts")
            if isinstance(parts, list):
                for part in parts:
                    if isinstance(part, dict):
                        changed |= self._part(ci, part)
            if cand.get("finishReason"):
                closed = self.fields.close_where(lambda k, ci=ci: k[1] == ci)
                if closed:
                    self._inject(cand, closed)
                    changed = True
        return obj, changed, []

    def _part(self, ci: Any, part: dict) -> bool:
        if isinstance(part.get("text"), str):
            thought = bool(part.get("thought"))
            extra = {"thought": True} if thought else {}
            return _feed_into(
                self.fields,
                part,
                "text",
                ("thought" if thought else "text", ci),
                lambda f: self._chunk(ci, {"text": f, **extra}),
            )
        changed = False
        for name in ("functionCall", "functionResponse", "executableCode", "codeExecutionResult"):
            if name in part:
                part[name], c = restore_value(part[name], self.repl)
                changed |= c
        return changed

    @staticmethod
    def _inject(cand: dict, closed: list[tuple[Any, str, Flush]]) -> None:
        content = cand.get("content")
        if not isinstance(content, dict):
            content = cand["content"] = {"role": "model"}
        parts = content.get("parts")
        if not isinstance(parts, list):
            parts = content["parts"] = []
        for key, fragment, _flush in closed:
            thought = key[0] == "thought"
            same = [
                p
                for p in parts
                if isinstance(p, dict)
                and isinstance(p.get("text"), str)
                and bool(p.get("thought")) == thought
            ]
            if same:
                same[-1]["text"] += fragment
            else:
                parts.insert(0, {"text": fragment, **({"thought": True} if thought else {})})


class JsonChunks(Handler):
    """Ollama (``/api/chat``, ``/api/generate``) and Cohere (v1 ``event_type``, v2 ``type``) stream objects.

    Used for NDJSON streams and for Cohere v2's SSE stream (kind ``cohere-sse``): the shapes tell them apart.
    """

    def __init__(self, repl: Replacements) -> None:
        super().__init__(repl)
        self._template: dict[str, Any] = {}

    def on_json(self, obj: Any, event: str | None) -> Result:
        if not isinstance(obj, dict):
            return super().on_json(obj, event)
        if isinstance(obj.get("type"), str) and "-" in obj["type"]:
            return self._cohere_v2(obj, event)
        if isinstance(obj.get("event_type"), str):
            return self._cohere_v1(obj)
        return self._ollama(obj)

    # Ollama ---------------------------------------------------------------------------------------------

    def _ollama(self, obj: dict) -> Result:
        self._template = {k: obj[k] for k in ("model", "created_at") if k in obj}
        changed = False
        message = obj.get("message")
        if isinstance(message, dict):
            for name in ("content", "thinking"):
                if isinstance(message.get(name), str):
                    changed |= _feed_into(
                        self.fields,
                        message,
                        name,
                        ("message", name),
                        lambda f, n=name: (
                            None,
                            {**self._template, "message": {"role": "assistant", n: f}, "done": False},
                        ),
                    )
            if "tool_calls" in message:
                message["tool_calls"], c = restore_value(message["tool_calls"], self.repl)
                changed |= c
        for name in ("response", "thinking"):  # /api/generate
            if isinstance(obj.get(name), str):
                changed |= _feed_into(
                    self.fields,
                    obj,
                    name,
                    ("generate", name),
                    lambda f, n=name: (None, {**self._template, n: f, "done": False}),
                )
        if obj.get("done") is True:
            for key, fragment, _flush in self.fields.close_all():
                where, name = key
                if where == "message":
                    if not isinstance(message, dict):
                        message = obj["message"] = {"role": "assistant"}
                    message[name] = (message.get(name) or "") + fragment
                else:
                    obj[name] = (obj.get(name) or "") + fragment
                changed = True
        return obj, changed, []

    # Cohere v1 (NDJSON) ---------------------------------------------------------------------------------

    def _cohere_v1(self, obj: dict) -> Result:
        kind = obj["event_type"]
        if kind == "text-generation" and isinstance(obj.get("text"), str):
            changed = _feed_into(
                self.fields,
                obj,
                "text",
                ("v1", "text"),
                lambda f: (None, {"is_finished": False, "event_type": "text-generation", "text": f}),
            )
            return obj, changed, []
        if kind == "tool-calls-chunk":
            changed = False
            if isinstance(obj.get("text"), str):
                changed |= _feed_into(
                    self.fields,
                    obj,
                    "text",
                    ("v1", "plan"),
                    lambda f: (None, {"is_finished": False, "event_type": "tool-calls-chunk", "text": f}),
                )
            delta = obj.get("tool_call_delta")
            if isinstance(delta, dict) and isinstance(delta.get("parameters"), str):
                i = delta.get("index")
                changed |= _feed_into(
                    self.fields,
                    delta,
                    "parameters",
                    ("v1", "tool", i),
                    lambda f: (
                        None,
                        {
                            "is_finished": False,
                            "event_type": "tool-calls-chunk",
                            "tool_call_delta": {"index": i, "parameters": f},
                        },
                    ),
                    json_text=True,
                )
            return obj, changed, []
        before = _extras(self.fields.close_all()) if obj.get("is_finished") or kind == "stream-end" else []
        obj, changed = restore_value(obj, self.repl)
        return obj, changed, before

    # Cohere v2 (SSE) ------------------------------------------------------------------------------------

    def _cohere_v2(self, obj: dict, event: str | None) -> Result:
        kind = obj["type"]
        idx = obj.get("index")

        def flush_as(path: tuple[str, ...], leaf: str, name: str) -> Flush:
            def flush(fragment: str) -> Extra:
                inner: dict[str, Any] = {leaf: fragment}
                for step in reversed(path):
                    inner = {step: inner}
                payload = {"type": name, **({"index": idx} if idx is not None else {}), "delta": inner}
                return (name if event is not None else None), payload

            return flush

        message = _dig(obj, "delta", "message")
        changed = False
        if kind == "content-delta" and isinstance(message, dict) and isinstance(message.get("content"), dict):
            content = message["content"]
            for name in ("text", "thinking"):
                if isinstance(content.get(name), str):
                    changed |= _feed_into(
                        self.fields,
                        content,
                        name,
                        ("v2", name, idx),
                        flush_as(("message", "content"), name, kind),
                    )
            return obj, changed, []
        if kind == "tool-plan-delta" and isinstance(_dig(message, "tool_plan"), str):
            changed = _feed_into(
                self.fields,
                message,
                "tool_plan",
                ("v2", "plan", None),
                flush_as(("message",), "tool_plan", kind),
            )
            return obj, changed, []
        function = _dig(message, "tool_calls", "function")
        if kind == "tool-call-delta" and isinstance(_dig(function, "arguments"), str):
            changed = _feed_into(
                self.fields,
                function,
                "arguments",
                ("v2", "tool", idx),
                flush_as(("message", "tool_calls", "function"), "arguments", kind),
                json_text=True,
            )
            return obj, changed, []
        if kind == "content-end":
            closed = self.fields.close_where(lambda k: k[1] in ("text", "thinking") and k[2] == idx)
        elif kind == "tool-call-start":
            closed = self.fields.close_where(lambda k: k[1] == "plan")
        elif kind == "tool-call-end":
            closed = self.fields.close_where(lambda k: k[1] == "tool" and k[2] == idx)
        elif kind == "message-end":
            closed = self.fields.close_all()
        else:
            closed = []
        obj, changed = restore_value(obj, self.repl)
        return obj, changed, _extras(closed)


HANDLERS: dict[str, type[Handler]] = {
    "openai-chat-sse": OpenAIChat,
    "openai-responses-sse": OpenAIResponses,
    "anthropic-sse": Anthropic,
    "gemini-sse": Gemini,
    "cohere-sse": JsonChunks,
    "generic-sse": Handler,
    "ndjson": JsonChunks,
}
