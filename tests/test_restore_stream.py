"""Streamed answers: placeholders split across deltas and across chunks come back as the original values.

Each fixture is a stream shaped as the provider sends it (event names, ids, usage, finish events, the
SDKs' own event types). The model's text is cut into deltas, down to one character per delta; the bytes are
cut into chunks of every size from 1 to 7 and at random positions. A client-side reassembly of the
restored stream must equal the original-values text byte for byte.
"""

from __future__ import annotations

import functools
import json
import random
import re
from collections.abc import Callable

import pytest

from dlp_proxy.restore import Replacements, make_stream_restorer, stream_kind
from dlp_proxy.restore.stream import StreamRestorer

MAPPING = {
    "[[PERSON_1]]": 'Jean "Jo" Dupont',
    "[[PERSON_2]]": "Zoé Martin",
    "[[EMAIL_ADDRESS_1]]": "zoe.martin@exemple.fr",
    "[[ADDRESS_1]]": "12 rue de l'Église\\B, 75001 Paris",
    "Camille Texier": "Marie Curie",  # a surrogate
}
REPL = Replacements(MAPPING)
MAX_HOLD = REPL.max_len - 1

MODEL_TEXT = (
    "Bonjour [[PERSON_1]] ! Adresse : [[ADDRESS_1]], e-mail [[EMAIL_ADDRESS_1]]. "
    "Voir [note], [[wiki]], [[PERSON_12]]. Camille Texier 😀 et [[PERSON_2]][[PERSON_1]]"
)
TEXT = REPL.restore(MODEL_TEXT)
assert "[[PERSON_1]]" not in TEXT and 'Jean "Jo" Dupont' in TEXT and "[[PERSON_12]]" in TEXT

MODEL_ARGS = json.dumps({"name": "[[PERSON_1]]", "email": "[[EMAIL_ADDRESS_1]]", "city": "[[ADDRESS_1]]"})
ARGS = {
    "name": 'Jean "Jo" Dupont',
    "email": "zoe.martin@exemple.fr",
    "city": "12 rue de l'Église\\B, 75001 Paris",
}
ENDS_PARTIAL = "Fin : [[PERS"  # the model stops in the middle of something that looks like a placeholder


def one_per_char(text: str) -> list[str]:
    return list(text)


def random_deltas(text: str, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    out, pos = [], 0
    while pos < len(text):
        n = rng.randint(1, 9)
        out.append(text[pos : pos + n])
        pos += n
    return out


def cut_inside_placeholders(text: str) -> list[str]:
    """Cuts right after every "[", "[[" and "_" so each placeholder spans several deltas."""
    return [p for p in re.split(r"(?<=\[)|(?<=_)", text) if p]


DELTA_STRATEGIES = {"per-char": one_per_char, "random": random_deltas, "inside": cut_inside_placeholders}


# -- the streams as providers send them ----------------------------------------------------------------


def sse(data: object, event: str | None = None, eol: str = "\n") -> bytes:
    payload = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    head = f"event: {event}{eol}" if event else ""
    return f"{head}data: {payload}{eol}{eol}".encode()


def openai_chat_stream(text: list[str], args: list[str], n: int = 1) -> bytes:
    base = {
        "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
        "object": "chat.completion.chunk",
        "created": 1741570283,
        "model": "gpt-4o-2024-08-06",
        "service_tier": "default",
        "system_fingerprint": "fp_fc9f1d7035",
    }

    def chunk(idx: int, delta: dict, finish: str | None = None) -> bytes:
        choice = {"index": idx, "delta": delta, "logprobs": None, "finish_reason": finish}
        return sse({**base, "choices": [choice], "usage": None, "obfuscation": "qK2r"})

    out = [chunk(i, {"role": "assistant", "content": "", "refusal": None}) for i in range(n)]
    for piece in text:
        for i in range(n):  # choices interleaved
            out.append(chunk(i, {"content": piece}))
    for i in range(n):
        call = {
            "index": 0,
            "id": f"call_{i}",
            "type": "function",
            "function": {"name": "save", "arguments": ""},
        }
        out.append(chunk(i, {"tool_calls": [call]}))
    for piece in args:
        for i in range(n):
            out.append(chunk(i, {"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}))
    for i in range(n):
        out.append(chunk(i, {}, "tool_calls"))
    usage = {"prompt_tokens": 19, "completion_tokens": 40, "total_tokens": 59}
    out.append(sse({**base, "choices": [], "usage": usage}))
    out.append(sse("[DONE]"))
    return b"".join(out)


def openai_responses_stream(
    text: list[str], args: list[str], instructions: str = "Tu aides [[PERSON_1]]."
) -> bytes:
    full_text, full_args = "".join(text), "".join(args)
    seq = iter(range(10_000))
    response = {
        "id": "resp_67ccd2bed1ec8190",
        "object": "response",
        "created_at": 1741476542,
        "status": "in_progress",
        "model": "gpt-4.1-2025-04-14",
        "output": [],
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "instructions": instructions,
    }
    message = {"id": "msg_67ccd2bf17f0", "type": "message", "status": "in_progress", "role": "assistant"}
    call = {
        "id": "fc_12345xyz",
        "type": "function_call",
        "call_id": "call_1",
        "name": "save",
        "arguments": "",
    }

    def ev(kind: str, **fields: object) -> bytes:
        return sse({"type": kind, "sequence_number": next(seq), **fields}, event=kind)

    part = {"type": "output_text", "annotations": [], "logprobs": [], "text": ""}
    out = [
        ev("response.created", response=response),
        ev("response.in_progress", response=response),
        ev("response.output_item.added", output_index=0, item={**message, "content": []}),
        ev("response.content_part.added", item_id=message["id"], output_index=0, content_index=0, part=part),
    ]
    for piece in text:
        out.append(
            ev(
                "response.output_text.delta",
                item_id=message["id"],
                output_index=0,
                content_index=0,
                delta=piece,
                logprobs=[],
                obfuscation="Xv",
            )
        )
    done_part = {**part, "text": full_text}
    done_message = {**message, "status": "completed", "content": [done_part]}
    out += [
        ev(
            "response.output_text.done",
            item_id=message["id"],
            output_index=0,
            content_index=0,
            text=full_text,
            logprobs=[],
        ),
        ev(
            "response.content_part.done",
            item_id=message["id"],
            output_index=0,
            content_index=0,
            part=done_part,
        ),
        ev("response.output_item.done", output_index=0, item=done_message),
        ev("response.output_item.added", output_index=1, item={**call, "status": "in_progress"}),
    ]
    for piece in args:
        out.append(
            ev(
                "response.function_call_arguments.delta",
                item_id=call["id"],
                output_index=1,
                delta=piece,
                obfuscation="a",
            )
        )
    done_call = {**call, "arguments": full_args, "status": "completed"}
    out += [
        ev("response.function_call_arguments.done", item_id=call["id"], output_index=1, arguments=full_args),
        ev("response.output_item.done", output_index=1, item=done_call),
        ev(
            "response.completed",
            response={
                **response,
                "status": "completed",
                "output": [done_message, done_call],
                "usage": {"input_tokens": 37, "output_tokens": 11, "total_tokens": 48},
            },
        ),
    ]
    return b"".join(out)


def anthropic_stream(text: list[str], args: list[str]) -> bytes:
    message = {
        "id": "msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY",
        "type": "message",
        "role": "assistant",
        "content": [],
        "model": "claude-opus-4-7",
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": 25, "output_tokens": 1},
    }
    out = [
        sse({"type": "message_start", "message": message}, "message_start"),
        sse(
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
            "content_block_start",
        ),
        sse({"type": "ping"}, "ping"),
    ]
    for piece in text:
        delta = {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}}
        out.append(sse(delta, "content_block_delta"))
    out.append(sse({"type": "content_block_stop", "index": 0}, "content_block_stop"))
    block = {"type": "tool_use", "id": "toolu_01T1x1fJ34qAmk2tNTrN7Up6", "name": "save", "input": {}}
    out.append(
        sse({"type": "content_block_start", "index": 1, "content_block": block}, "content_block_start")
    )
    for piece in args:
        delta = {
            "type": "content_block_delta",
            "index": 1,
            "delta": {"type": "input_json_delta", "partial_json": piece},
        }
        out.append(sse(delta, "content_block_delta"))
    out += [
        sse({"type": "content_block_stop", "index": 1}, "content_block_stop"),
        sse(
            {
                "type": "message_delta",
                "delta": {"stop_reason": "tool_use", "stop_sequence": None},
                "usage": {"output_tokens": 89},
            },
            "message_delta",
        ),
        sse({"type": "message_stop"}, "message_stop"),
    ]
    return b"".join(out)


def gemini_stream(text: list[str], args: list[str]) -> bytes:
    """``alt=sse``: CRLF line ends, each chunk a whole GenerateContentResponse."""
    meta = {"modelVersion": "gemini-2.5-flash", "responseId": "rXbFaMLaF8qKz7IP"}
    out = []
    for i, piece in enumerate(text):
        cand: dict = {"content": {"parts": [{"text": piece}], "role": "model"}, "index": 0}
        out.append(
            sse({"candidates": [cand], "usageMetadata": {"promptTokenCount": 9 + i}, **meta}, eol="\r\n")
        )
    call = {"functionCall": {"name": "save", "args": json.loads("".join(args))}}
    last = {"content": {"parts": [call], "role": "model"}, "finishReason": "STOP", "index": 0}
    out.append(sse({"candidates": [last], "usageMetadata": {"promptTokenCount": 9}, **meta}, eol="\r\n"))
    return b"".join(out)


def ollama_stream(text: list[str], args: list[str]) -> bytes:
    base = {"model": "llama3.2", "created_at": "2025-06-01T12:00:00.000000Z"}
    lines = [{**base, "message": {"role": "assistant", "content": p}, "done": False} for p in text]
    call = {"function": {"name": "save", "arguments": json.loads("".join(args))}}
    lines.append(
        {**base, "message": {"role": "assistant", "content": "", "tool_calls": [call]}, "done": False}
    )
    lines.append(
        {
            **base,
            "message": {"role": "assistant", "content": ""},
            "done_reason": "stop",
            "done": True,
            "total_duration": 4883583458,
            "eval_count": 282,
        }
    )
    return b"".join(json.dumps(line, ensure_ascii=False).encode() + b"\n" for line in lines)


def ollama_generate_stream(text: list[str], args: list[str]) -> bytes:
    base = {"model": "llama3.2", "created_at": "2025-06-01T12:00:00.000000Z"}
    lines = [{**base, "response": p, "done": False} for p in text]
    lines.append({**base, "response": "", "done": True, "done_reason": "stop", "context": [1, 2, 3]})
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


def cohere_v2_stream(text: list[str], args: list[str]) -> bytes:
    def ev(data: dict) -> bytes:
        return sse(data, event=data["type"])

    out = [
        ev(
            {
                "id": "29f14a5a-11de-4cae-9800-25e4747e1b1c",
                "type": "message-start",
                "delta": {
                    "message": {
                        "role": "assistant",
                        "content": [],
                        "tool_plan": "",
                        "tool_calls": [],
                        "citations": [],
                    }
                },
            }
        ),
        ev(
            {
                "type": "content-start",
                "index": 0,
                "delta": {"message": {"content": {"type": "text", "text": ""}}},
            }
        ),
    ]
    for piece in text:
        out.append(
            ev({"type": "content-delta", "index": 0, "delta": {"message": {"content": {"text": piece}}}})
        )
    out.append(ev({"type": "content-end", "index": 0}))
    start = {"id": "save_4k2v", "type": "function", "function": {"name": "save", "arguments": ""}}
    out.append(ev({"type": "tool-call-start", "index": 0, "delta": {"message": {"tool_calls": start}}}))
    for piece in args:
        out.append(
            ev(
                {
                    "type": "tool-call-delta",
                    "index": 0,
                    "delta": {"message": {"tool_calls": {"function": {"arguments": piece}}}},
                }
            )
        )
    out.append(ev({"type": "tool-call-end", "index": 0}))
    usage = {
        "billed_units": {"input_tokens": 3, "output_tokens": 9},
        "tokens": {"input_tokens": 69, "output_tokens": 9},
    }
    out.append(ev({"type": "message-end", "delta": {"finish_reason": "TOOL_CALL", "usage": usage}}))
    return b"".join(out)


def cohere_v1_stream(text: list[str], args: list[str]) -> bytes:
    lines: list[dict] = [{"is_finished": False, "event_type": "stream-start", "generation_id": "4e1e4d44"}]
    lines += [{"is_finished": False, "event_type": "text-generation", "text": p} for p in text]
    for piece in args:
        lines.append(
            {
                "is_finished": False,
                "event_type": "tool-calls-chunk",
                "tool_call_delta": {"index": 0, "parameters": piece},
            }
        )
    lines.append(
        {
            "is_finished": True,
            "event_type": "stream-end",
            "response": {"response_id": "d1b5", "text": "".join(text), "finish_reason": "COMPLETE"},
            "finish_reason": "COMPLETE",
        }
    )
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


# -- client-side reassembly (independent of the code under test) -------------------------------------


def parse_sse(body: bytes) -> list[tuple[str | None, str]]:
    """The SSE algorithm as a browser runs it: (event name, data) per dispatched event."""
    events, name, data = [], None, []
    text = body.decode("utf-8")
    for line in re.split(r"\r\n|\r|\n", text):
        if line == "":
            if data:
                events.append((name, "\n".join(data)))
            name, data = None, []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "event":
            name = value
        elif field == "data":
            data.append(value)
    if data:
        events.append((name, "\n".join(data)))
    return events


def jsons(body: bytes, kind: str) -> list[dict]:
    if kind == "ndjson":
        return [json.loads(line) for line in body.decode("utf-8").splitlines() if line.strip()]
    return [json.loads(data) for _name, data in parse_sse(body) if data != "[DONE]"]


def assemble_openai_chat(body: bytes, n: int = 1) -> tuple[list[str], list[str]]:
    texts, args = [""] * n, [""] * n
    for event in jsons(body, "sse"):
        for choice in event["choices"]:
            delta = choice["delta"]
            texts[choice["index"]] += delta.get("content") or ""
            for call in delta.get("tool_calls") or []:
                args[choice["index"]] += call["function"].get("arguments") or ""
    return texts, args


def assemble_responses(body: bytes) -> tuple[str, str, dict]:
    text = args = ""
    final: dict = {}
    for event in jsons(body, "sse"):
        if event["type"] == "response.output_text.delta":
            text += event["delta"]
        elif event["type"] == "response.function_call_arguments.delta":
            args += event["delta"]
        elif event["type"] == "response.completed":
            final = event["response"]
    return text, args, final


def assemble_anthropic(body: bytes) -> tuple[str, str]:
    text = args = ""
    for event in jsons(body, "sse"):
        if event["type"] == "content_block_delta":
            text += event["delta"].get("text", "")
            args += event["delta"].get("partial_json", "")
    return text, args


def assemble_gemini(body: bytes) -> tuple[str, dict]:
    text, call = "", {}
    for event in jsons(body, "sse"):
        for part in event["candidates"][0]["content"]["parts"]:
            text += part.get("text", "")
            call = part.get("functionCall", call)
    return text, call


def assemble_ollama(body: bytes) -> tuple[str, list]:
    text, calls = "", []
    for line in jsons(body, "ndjson"):
        text += line.get("message", {}).get("content", "") + line.get("response", "")
        calls += line.get("message", {}).get("tool_calls", [])
    return text, calls


def assemble_cohere_v2(body: bytes) -> tuple[str, str]:
    text = args = ""
    for event in jsons(body, "sse"):
        if event["type"] == "content-delta":
            text += event["delta"]["message"]["content"]["text"]
        elif event["type"] == "tool-call-delta":
            args += event["delta"]["message"]["tool_calls"]["function"]["arguments"]
    return text, args


def assemble_cohere_v1(body: bytes) -> tuple[str, str, str]:
    text = args = final = ""
    for line in jsons(body, "ndjson"):
        if line["event_type"] == "text-generation":
            text += line["text"]
        elif line["event_type"] == "tool-calls-chunk":
            args += line["tool_call_delta"]["parameters"]
        elif line["event_type"] == "stream-end":
            final = line["response"]["text"]
    return text, args, final


# -- running a stream through the restorer -------------------------------------------------------------


def chunked(body: bytes, size: int) -> list[bytes]:
    return [body[i : i + size] for i in range(0, len(body), size)]


def random_chunks(body: bytes, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(1, len(body)), min(len(body) - 1, 60)))
    return [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]


def restore(kind: str, chunks: list[bytes], mapping=REPL) -> bytes:
    restorer = make_stream_restorer(kind, mapping)
    out = []
    for chunk in chunks:
        out.append(restorer.feed(chunk))
        assert restorer.held_chars <= MAX_HOLD
    out.append(restorer.finish())
    return b"".join(out)


def chunkings(body: bytes) -> list[list[bytes]]:
    return [chunked(body, size) for size in range(1, 8)] + [random_chunks(body, seed) for seed in range(3)]


Check = Callable[[bytes], None]


def check_openai_chat(text_expected: str, n: int = 1) -> Check:
    def check(body: bytes) -> None:
        texts, args = assemble_openai_chat(body, n)
        assert texts == [text_expected] * n
        assert [json.loads(a) for a in args] == [ARGS] * n

    return check


def _responses_check(expected: str) -> Check:
    def check(body: bytes) -> None:
        text, args, final = assemble_responses(body)
        assert text == expected
        assert json.loads(args) == ARGS
        assert final["output"][0]["content"][0]["text"] == expected
        assert json.loads(final["output"][1]["arguments"]) == ARGS
        assert final["instructions"] == 'Tu aides Jean "Jo" Dupont.'

    return check


def _anthropic_check(expected: str) -> Check:
    def check(body: bytes) -> None:
        text, args = assemble_anthropic(body)
        assert text == expected
        assert json.loads(args) == ARGS

    return check


def _gemini_check(expected: str) -> Check:
    def check(body: bytes) -> None:
        text, call = assemble_gemini(body)
        assert text == expected
        assert call == {"name": "save", "args": ARGS}
        assert b"\r\n\r\n" in body and b"\n\n" not in body.replace(b"\r\n", b"")

    return check


def _ollama_check(expected: str) -> Check:
    def check(body: bytes) -> None:
        text, calls = assemble_ollama(body)
        assert text == expected
        assert calls == [{"function": {"name": "save", "arguments": ARGS}}]

    return check


def _ollama_generate_check(expected: str) -> Check:
    def check(body: bytes) -> None:
        assert assemble_ollama(body)[0] == expected

    return check


def _cohere_v2_check(expected: str) -> Check:
    def check(body: bytes) -> None:
        text, args = assemble_cohere_v2(body)
        assert text == expected
        assert json.loads(args) == ARGS

    return check


def _cohere_v1_check(expected: str) -> Check:
    def check(body: bytes) -> None:
        text, args, final = assemble_cohere_v1(body)
        assert text == expected
        assert json.loads(args) == ARGS
        assert final == expected

    return check


FORMATS = {
    "openai-chat": ("openai-chat-sse", openai_chat_stream, check_openai_chat),
    "openai-responses": ("openai-responses-sse", openai_responses_stream, _responses_check),
    "anthropic": ("anthropic-sse", anthropic_stream, _anthropic_check),
    "gemini": ("gemini-sse", gemini_stream, _gemini_check),
    "ollama-chat": ("ndjson", ollama_stream, _ollama_check),
    "ollama-generate": ("ndjson", ollama_generate_stream, _ollama_generate_check),
    "cohere-v2": ("cohere-sse", cohere_v2_stream, _cohere_v2_check),
    "cohere-v1": ("ndjson", cohere_v1_stream, _cohere_v1_check),
}


@pytest.mark.parametrize("strategy", DELTA_STRATEGIES)
@pytest.mark.parametrize("fmt", FORMATS)
def test_stream_restored_whatever_the_cuts(fmt, strategy):
    kind, build, make_check = FORMATS[fmt]
    split = DELTA_STRATEGIES[strategy]
    body = build(split(MODEL_TEXT), split(MODEL_ARGS))
    check = make_check(TEXT)
    for chunks in chunkings(body):
        check(restore(kind, chunks))


@pytest.mark.parametrize("fmt", FORMATS)
def test_text_ending_in_a_partial_placeholder_is_flushed_as_is(fmt):
    kind, build, make_check = FORMATS[fmt]
    model = MODEL_TEXT + " " + ENDS_PARTIAL
    body = build(one_per_char(model), cut_inside_placeholders(MODEL_ARGS))
    check = make_check(REPL.restore(model))
    for chunks in [chunked(body, 1), chunked(body, 5), [body]]:
        check(restore(kind, chunks))


@pytest.mark.parametrize("fmt", FORMATS)
def test_streams_without_placeholders_pass_byte_for_byte(fmt):
    kind, build, _ = FORMATS[fmt]
    if fmt == "openai-responses":
        build = functools.partial(build, instructions="Tu aides Paul.")
    plain = "Bonjour à tous (x) — rien à restaurer 😀"  # no character that can start a pseudonym
    body = build(one_per_char(plain), random_deltas('{"a": "b"}'))
    for chunks in [chunked(body, 1), chunked(body, 3), [body]]:
        assert restore(kind, chunks) == body


def test_openai_chat_choices_are_separate_fields():
    body = openai_chat_stream(one_per_char(MODEL_TEXT), cut_inside_placeholders(MODEL_ARGS), n=2)
    check = check_openai_chat(TEXT, n=2)
    for chunks in [chunked(body, 1), chunked(body, 4), random_chunks(body, 1)]:
        check(restore("openai-chat-sse", chunks))


def test_each_event_leaves_as_soon_as_it_is_complete():
    body = openai_chat_stream(cut_inside_placeholders(MODEL_TEXT), [], n=1)
    events = re.findall(rb"data: .*?\n\n", body, re.DOTALL)
    restorer = StreamRestorer("openai-chat-sse", REPL)
    sent = b""
    for count, event in enumerate(events, 1):
        half = len(event) // 2
        assert restorer.feed(event[:half]) == b""  # an incomplete event waits
        sent += restorer.feed(event[half:])
        assert sent.count(b"\n\n") == count  # and a complete one leaves at once
    sent += restorer.finish()
    assert assemble_openai_chat(sent)[0] == [TEXT]


def test_unrelated_bracket_is_released_by_the_next_delta():
    deltas = ["Voir [", "n", "ote] et [[", "w", "iki]] [[PERSON_", "2]]"]
    body = anthropic_stream(deltas, ['{"a": 1}'])
    restorer = StreamRestorer("anthropic-sse", REPL)
    got = []
    for event in re.findall(rb"event: .*?\n\n", body, re.DOTALL):
        out = restorer.feed(event)
        assert out  # every event goes out at once
        got += [json.loads(d)["delta"].get("text") for _n, d in parse_sse(out) if "text_delta" in d]
    assert got == ["Voir ", "[n", "ote] et ", "[[w", "iki]] ", "Zoé Martin"]


def test_holdback_never_exceeds_longest_placeholder_minus_one():
    body = openai_chat_stream(one_per_char("x [[EMAIL_ADDRESS_1]] [[EMAIL_ADDRESS_"), [], n=1)
    restorer = StreamRestorer("openai-chat-sse", REPL)
    most = 0
    for chunk in chunked(body, 1):
        restorer.feed(chunk)
        most = max(most, restorer.held_chars)
    assert most == len("[[EMAIL_ADDRESS_1]") == MAX_HOLD
    restorer.finish()


def test_events_split_inside_utf8_and_crlf():
    body = gemini_stream(["é😀 [[PERSON_", "2]] ok"], ['{"a": "[[PERSON_2]]"}'])
    for i in range(1, len(body)):
        out = restore("gemini-sse", [body[:i], body[i:]])
        assert assemble_gemini(out)[0] == "é😀 Zoé Martin ok"


def test_unchanged_events_keep_their_bytes_and_event_lines():
    body = anthropic_stream(["Bonjour ", "[[PERSON_2]]", " !"], ['{"a": 1}'])
    out = restore("anthropic-sse", [body])
    before, after = body.split(b"\n\n"), out.split(b"\n\n")
    assert len(before) == len(after)
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert len(changed) == 1
    assert changed[0][1].startswith(b"event: content_block_delta\ndata: ")
    assert "Zoé Martin" in changed[0][1].decode()


def test_sse_comments_ids_and_retry_are_kept():
    body = (
        b": keep-alive\n\nid: 7\nretry: 1000\nevent: content_block_delta\n"
        b'data: {"type":"content_block_delta","index":0,'
        b'"delta":{"type":"text_delta","text":"[[PERSON_2]]"}}\n\n'
    )
    out = restore("anthropic-sse", chunked(body, 2))
    assert out.startswith(b": keep-alive\n\nid: 7\nretry: 1000\nevent: content_block_delta\ndata: {")
    assert "Zoé Martin" in out.decode()


def test_stream_cut_without_final_blank_line():
    body = (
        b'data: {"choices":[{"index":0,"delta":{"content":"Salut [[PER"}}]}\n\n'
        b'data: {"choices":[{"index":0,"delta":{"content":"SON_2]] [[PER"}}]}'  # no blank line
    )
    out = restore("openai-chat-sse", chunked(body, 3))
    assert assemble_openai_chat(out)[0] == ["Salut Zoé Martin [[PER"]


def test_generic_sse_restores_every_string():
    body = sse({"type": "x", "text": "[[PERSON_2]]", "n": [1, "[[PERSON_1]]"]}, "x") + sse("[DONE]")
    out = restore("generic-sse", chunked(body, 2))
    events = parse_sse(out)
    assert json.loads(events[0][1]) == {"type": "x", "text": "Zoé Martin", "n": [1, 'Jean "Jo" Dupont']}
    assert events[1] == (None, "[DONE]")


def test_mitmproxy_callable_never_returns_empty_bytes():
    """An empty chunk over HTTP/1.1 chunked encoding would end the client's body."""
    body = openai_chat_stream(["a [[PERSON_", "2]]"], [], n=1)
    restorer = make_stream_restorer("openai-chat-sse", MAPPING)
    out = []
    for chunk in chunked(body, 3):
        result = restorer(chunk)
        assert isinstance(result, list) and b"" not in result
        out += result
    out += restorer(b"")
    assert restorer(b"") == []
    assert assemble_openai_chat(b"".join(out))[0] == ["a Zoé Martin"]


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_compressed_stream_is_decoded_on_the_way(encoding):
    from mitmproxy.net.encoding import encode

    body = anthropic_stream(one_per_char(MODEL_TEXT), cut_inside_placeholders(MODEL_ARGS))
    packed = encode(body, encoding)
    restorer = make_stream_restorer("anthropic-sse", REPL, content_encoding=encoding)
    out = b"".join(restorer.feed(c) for c in chunked(packed, 7)) + restorer.finish()
    assert assemble_anthropic(out) == (TEXT, json.dumps(ARGS, ensure_ascii=False))


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown stream kind"):
        make_stream_restorer("carrier-pigeon", MAPPING)


def test_repr_hides_values():
    restorer = make_stream_restorer("openai-chat-sse", MAPPING)
    restorer.feed(openai_chat_stream(["[[PERSON_"], [], n=1)[:-20])
    assert "Jean" not in repr(restorer) and "PERSON" not in repr(restorer)


@pytest.mark.parametrize(
    ("path", "ctype", "kind"),
    [
        ("/v1/chat/completions", "text/event-stream; charset=utf-8", "openai-chat-sse"),
        (
            "/openai/deployments/gpt4/chat/completions?api-version=2024-10-21",
            "text/event-stream",
            "openai-chat-sse",
        ),
        ("/v1/responses", "text/event-stream", "openai-responses-sse"),
        ("/v1/messages?beta=true", "text/event-stream", "anthropic-sse"),
        ("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", "text/event-stream", "gemini-sse"),
        ("/v2/chat", "text/event-stream", "cohere-sse"),
        ("/api/chat", "application/x-ndjson", "ndjson"),
        ("/v1/chat", "application/stream+json", None),
        ("/something", "text/event-stream", "generic-sse"),
        ("/v1/chat/completions", "application/json", None),
    ],
)
def test_stream_kind(path, ctype, kind):
    assert stream_kind(path, ctype) == kind
