"""``dlp-proxy scan``: the referents' tool to see what the proxy would find in a text, a file or a dataset.

Pure functions over the streams they are given (no argparse, no ``sys.exit``): the CLI wires them, the
tests call them with ``io.StringIO``. The same engine and the same policy thresholds as the proxy are
used, so "scan says nothing" means "the proxy would let it through".

Modes:

* ``table`` (default) - one table per input: position (line:col), type, score, recognizer and a
  *masked* value (``j***@e***.fr``, ``06 ** ** ** 78``): the terminal and its scroll-back never hold
  the data itself.
* ``json`` - one JSON document with the same information, for scripts.
* ``jsonl`` - dataset mode: reads JSON lines ``{"id": ..., "text": ...}`` (other keys ignored) and
  writes, in order, one line per input ``{"id": ..., "findings": [{"entity_type", "start", "end",
  "score", "recognizer"}]}`` with offsets in Python characters of ``text``. Input is processed in small
  batches (one ``nlp.pipe`` pass each) and every output line is flushed as soon as its batch is done.
  stdout carries only those lines; progress and errors go to stderr.

By default only what the policy acts on for an approved tool hosted outside the EU is reported (its
data rules for ``outside_eu`` whose action is not ``allow``, each type at its rule's ``min_score``);
``all_types`` reports every type the engine knows, at any score.

``fail_on`` (``--fail-on TYPES|any``) makes it a CI gate: exit 1 when a reported finding is of one of
those types (``any``: of any type), after writing every result as usual.

Exit codes: 0 nothing found that ``fail_on`` names (or no ``fail_on``); 1 ``fail_on`` matched; 2 for bad
input (unreadable file, invalid JSON line, missing ``text``), a ``fail_on`` type that would never be
reported, or a broken policy / rules / model definition, with a message on stderr.
"""

from __future__ import annotations

import json
import os
import select
import time
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

from dlp_proxy.detect.findings import Finding, mask_value
from dlp_proxy.errors import ConfigError, ConfigProblem

if TYPE_CHECKING:
    from dlp_proxy.detect.engine import DetectionEngine

Mode = Literal["table", "json", "jsonl"]
MODES: tuple[str, ...] = ("table", "json", "jsonl")
#: Hosting class whose data rules define what ``scan`` reports by default (the strictest case).
DEFAULT_HOSTING = "outside_eu"
#: JSON lines per batch in ``jsonl`` mode: large enough for ``nlp.pipe``, small enough to stream.
JSONL_BATCH = 32
EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_BAD_INPUT = 2
#: ``fail_on`` value meaning "any reported finding".
FAIL_ON_ANY = "any"


def parse_fail_on(text: str) -> frozenset[str]:
    """``--fail-on`` as given: ``any`` or comma-separated type codes (``FR_NIR,IBAN_CODE``)."""
    codes = frozenset(c.strip().upper() for c in text.split(",") if c.strip())
    if not codes:
        raise ValueError("--fail-on needs 'any' or entity types, e.g. FR_NIR,IBAN_CODE")
    if FAIL_ON_ANY.upper() in codes:
        if len(codes) > 1:
            raise ValueError("--fail-on: 'any' already covers every type")
        return frozenset({FAIL_ON_ANY})
    return codes


class BadInput(Exception):
    """Input that cannot be scanned; the message names the file and line."""


@dataclass(frozen=True)
class Selection:
    """Which entity types to report, and from which score each."""

    thresholds: dict[str, float] | None  # None: every type, any score

    @property
    def entities(self) -> list[str] | None:
        return None if self.thresholds is None else sorted(self.thresholds)

    @property
    def min_score(self) -> float:
        return min(self.thresholds.values(), default=0.0) if self.thresholds else 0.0

    def keep(self, finding: Finding) -> bool:
        if self.thresholds is None:
            return True
        return (
            finding.entity_type in self.thresholds and finding.score >= self.thresholds[finding.entity_type]
        )


def policy_selection(rules_dir: Path, hosting: str = DEFAULT_HOSTING) -> Selection:
    """Types and thresholds the policy acts on for tools of ``hosting``; ConfigError for a broken policy."""
    from dlp_proxy.policy import load_policy

    thresholds: dict[str, float] = {}
    for rule in load_policy(rules_dir).data_rules_for(hosting):
        if rule.action == "allow":
            continue
        for entity in rule.entities:
            thresholds[entity] = min(thresholds.get(entity, rule.min_score), rule.min_score)
    return Selection(thresholds)


class _Scanner:
    """The engine (or a worker pool) behind one ``scan`` run, with the policy's selection applied."""

    def __init__(
        self,
        engine: DetectionEngine | None,
        selection: Selection,
        workers: int,
        rules_dir: Path,
        pipeline_file: Path | None,
    ) -> None:
        self.selection = selection
        self._pool: Any = None
        self._engine = engine
        if engine is None and workers > 1:
            from dlp_proxy.detect.pool import DetectorPool

            self._pool = DetectorPool(rules_dir, workers=workers, pipeline_file=pipeline_file)
            self._pool.start()
            if not self._pool.wait_ready():  # raises ConfigError itself for broken rules
                self._pool.close()
                raise ConfigError(
                    [ConfigProblem(str(rules_dir), 0, "detector workers could not start (see the log)")]
                )
        elif engine is None:
            from dlp_proxy.detect.engine import DetectionEngine

            self._engine = DetectionEngine(rules_dir, pipeline_file)

    def entities(self) -> list[str] | None:
        wanted = self.selection.entities
        if wanted is None and self._engine is not None:
            return list(self._engine.supported_entities)
        return wanted

    def scan(self, texts: list[str]) -> list[list[Finding]]:
        if not texts:
            return []
        entities, min_score = self.entities(), self.selection.min_score
        if self._pool is not None:
            # With all types and a pool, the workers report their default types (LOCATION excluded).
            found = self._pool.scan_sync(texts, entities, min_score)
        else:
            assert self._engine is not None
            found = self._engine.analyze_batch(texts, entities, min_score)
        return [[f for f in findings if self.selection.keep(f)] for findings in found]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()


def _line_starts(text: str) -> list[int]:
    starts = [0]
    starts.extend(i + 1 for i, c in enumerate(text) if c == "\n")
    return starts


def _position(starts: list[int], offset: int) -> tuple[int, int]:
    """1-based (line, column) of a character offset."""
    line = bisect_right(starts, offset)
    return line, offset - starts[line - 1] + 1


def _describe(text: str, finding: Finding, starts: list[int]) -> dict[str, Any]:
    line, column = _position(starts, finding.start)
    return {
        **finding.to_dict(),
        "line": line,
        "column": column,
        "masked": mask_value(finding.entity_type, text[finding.start : finding.end]),
    }


def _read_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput(f"{path}: not valid UTF-8 ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise BadInput(f"{path}: cannot read ({exc.strerror})") from None


def _write_table(out: IO[str], name: str, text: str, findings: list[Finding]) -> None:
    if not findings:
        out.write(f"{name}: no findings\n")
        return
    starts = _line_starts(text)
    rows = [
        (f"{d['line']}:{d['column']}", d["entity_type"], f"{d['score']:.2f}", d["recognizer"], d["masked"])
        for d in (_describe(text, f, starts) for f in findings)
    ]
    header = ("POSITION", "TYPE", "SCORE", "RECOGNIZER", "VALUE (MASKED)")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    out.write(f"{name}\n")
    for row in [header, *rows]:
        cells = [row[i].ljust(widths[i]) for i in range(4)]
        out.write("  " + "  ".join(cells) + "  " + row[4] + "\n")


def _jsonl_items(name: str, stream: IO[str]) -> Iterator[tuple[Any, str]]:
    """(id, text) per non-blank line; BadInput naming the line for anything else."""
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadInput(f"{name}:{number}: invalid JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(item, dict):
            raise BadInput(f'{name}:{number}: expected a JSON object with "text", got {type(item).__name__}')
        if "text" not in item:
            raise BadInput(f'{name}:{number}: missing "text"')
        if not isinstance(item["text"], str):
            raise BadInput(f'{name}:{number}: "text" must be a string')
        yield item.get("id"), item["text"]


class _PipeLines:
    """Lines of a pipe read straight from its file descriptor, so we can tell whether more are waiting.

    Why: a producer that writes one line and waits for its answer must get it at once; batching (for
    ``nlp.pipe`` speed) only groups lines that have already arrived.
    """

    def __init__(self, stream: IO[str]):
        self.stream = stream
        try:
            self.fd: int | None = stream.fileno()
        except (AttributeError, OSError, ValueError):  # StringIO in tests: plain iteration
            self.fd = None
        self._buf = b""

    def __iter__(self) -> Iterator[str]:
        if self.fd is None:
            yield from self.stream
            return
        while True:
            while b"\n" in self._buf:
                line, self._buf = self._buf.split(b"\n", 1)
                yield line.decode("utf-8", errors="strict") + "\n"
            data = os.read(self.fd, 1 << 16)
            if not data:
                if self._buf:
                    rest, self._buf = self._buf, b""
                    yield rest.decode("utf-8", errors="strict")
                return
            self._buf += data

    def pending(self) -> bool:
        """True when another line is buffered or the pipe has data ready now."""
        if self.fd is None:
            return True
        if b"\n" in self._buf:
            return True
        try:
            return bool(select.select([self.fd], [], [], 0)[0])
        except (OSError, ValueError):
            return False


def _batches(
    items: Iterable[tuple[Any, str]], size: int, pending: Callable[[], bool] = lambda: True
) -> Iterator[tuple[list[tuple[Any, str]], BadInput | None]]:
    """Batches of items; a BadInput ends the stream after the batch read before it (so it gets written).

    A batch is also cut when no further input is waiting (``pending``), so interactive producers are
    answered line by line.
    """
    batch: list[tuple[Any, str]] = []
    iterator = iter(items)
    while True:
        try:
            item = next(iterator)
        except StopIteration:
            if batch:
                yield batch, None
            return
        except BadInput as exc:
            yield batch, exc
            return
        batch.append(item)
        if len(batch) >= size or not pending():
            yield batch, None
            batch = []


def run_scan(
    files: list[Path] | None,
    *,
    rules_dir: Path,
    mode: Mode = "table",
    all_types: bool = False,
    stdin: IO[str],
    stdout: IO[str],
    stderr: IO[str],
    engine: DetectionEngine | None = None,
    pipeline_file: Path | None = None,
    workers: int = 1,
    batch_size: int = JSONL_BATCH,
    fail_on: frozenset[str] | None = None,
) -> int:
    """Scan ``files`` (or stdin when None) and write the findings; returns the process exit code.

    ``engine`` lets a caller (the tests) reuse a loaded engine; otherwise one is built here, once, or a
    pool of ``workers`` processes when ``workers > 1``. ``fail_on``: see the module docstring.
    """
    if mode not in MODES:
        stderr.write(f"dlp-proxy scan: unknown output mode {mode!r} (expected {', '.join(MODES)})\n")
        return EXIT_BAD_INPUT
    try:
        selection = Selection(None) if all_types else policy_selection(rules_dir)
    except ConfigError as exc:
        stderr.write(f"dlp-proxy scan: invalid policy in {rules_dir}:\n{exc}\n")
        return EXIT_BAD_INPUT
    if selection.thresholds is not None and not selection.thresholds:
        stderr.write(
            f"dlp-proxy scan: the policy acts on no data type for tools hosted {DEFAULT_HOSTING}; "
            "nothing will be reported (use --all-types to see every finding)\n"
        )
    started = time.perf_counter()
    try:
        scanner = _Scanner(engine, selection, workers, Path(rules_dir), pipeline_file)
    except ConfigError as exc:
        stderr.write(f"dlp-proxy scan: invalid detection configuration:\n{exc}\n")
        return EXIT_BAD_INPUT
    if engine is None:
        stderr.write(f"dlp-proxy scan: detector loaded in {time.perf_counter() - started:.1f} s\n")
    reported = scanner.entities()  # None: every type the workers know (all types, worker pool)
    unreported = [] if reported is None else sorted((fail_on or set()) - {FAIL_ON_ANY} - set(reported))
    if unreported:
        scanner.close()
        what = "the detector knows no such type" if all_types else "the policy does not act on it"
        stderr.write(
            f"dlp-proxy scan: --fail-on {', '.join(unreported)}: never reported ({what}"
            f"{'' if all_types else '; add --all to scan for every type'})\n"
        )
        return EXIT_BAD_INPUT
    started = time.perf_counter()
    found: set[str] = set()
    try:
        if mode == "jsonl":
            count = _run_jsonl(files, scanner, stdin, stdout, batch_size, found)
        else:
            count = _run_documents(files, scanner, mode, stdin, stdout, found)
    except BadInput as exc:
        stderr.write(f"dlp-proxy scan: {exc}\n")
        return EXIT_BAD_INPUT
    finally:
        scanner.close()
    stderr.write(f"dlp-proxy scan: {count} text(s) scanned in {time.perf_counter() - started:.2f} s\n")
    if fail_on:
        failing = sorted(found if FAIL_ON_ANY in fail_on else found & fail_on)
        if failing:
            stderr.write(f"dlp-proxy scan: failing (--fail-on): found {', '.join(failing)}\n")
            return EXIT_FINDINGS
    return EXIT_OK


def _run_documents(
    files: Sequence[Path] | None,
    scanner: _Scanner,
    mode: str,
    stdin: IO[str],
    stdout: IO[str],
    found: set[str],
) -> int:
    if files is None:
        inputs = [("<stdin>", stdin.read())]
    else:
        inputs = [(str(path), _read_file(Path(path))) for path in files]
    results = scanner.scan([text for _, text in inputs])
    found.update(f.entity_type for findings in results for f in findings)
    if mode == "json":
        document = {
            "entities": scanner.selection.entities or "all",
            "inputs": [
                {"source": name, "findings": [_describe(text, f, _line_starts(text)) for f in findings]}
                for (name, text), findings in zip(inputs, results, strict=True)
            ],
        }
        stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    else:
        total = 0
        for (name, text), findings in zip(inputs, results, strict=True):
            _write_table(stdout, name, text, findings)
            total += len(findings)
        stdout.write(f"{total} finding(s) in {len(inputs)} input(s)\n")
    stdout.flush()
    return len(inputs)


def _run_jsonl(
    files: Sequence[Path] | None,
    scanner: _Scanner,
    stdin: IO[str],
    stdout: IO[str],
    batch_size: int,
    found: set[str],
) -> int:
    pipe = _PipeLines(stdin) if files is None else None

    def items() -> Iterator[tuple[Any, str]]:
        if pipe is not None:
            try:
                yield from _jsonl_items("<stdin>", pipe)
            except UnicodeDecodeError as exc:
                raise BadInput(f"<stdin>: not valid UTF-8 ({exc.reason})") from None
            return
        for path in files:
            try:
                with open(path, encoding="utf-8") as stream:
                    yield from _jsonl_items(str(path), stream)
            except UnicodeDecodeError as exc:
                raise BadInput(f"{path}: not valid UTF-8 ({exc.reason})") from None
            except OSError as exc:
                raise BadInput(f"{path}: cannot read ({exc.strerror})") from None

    count = 0
    pending = pipe.pending if pipe is not None else (lambda: True)
    for batch, error in _batches(items(), max(1, batch_size), pending):
        results = scanner.scan([text for _, text in batch])
        for (item_id, _), findings in zip(batch, results, strict=True):
            found.update(f.entity_type for f in findings)
            line = {"id": item_id, "findings": [f.to_dict() for f in findings]}
            stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
            stdout.flush()
        count += len(batch)
        if error is not None:
            raise error
    return count
