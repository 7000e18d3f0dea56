"""Referents' rule tests: ``rules/tests/<entity>.yaml`` run on the real engine (``dlp-proxy check-rules``).

Each file is ``{entity: X, cases: [{text: ..., expect: true|false}]}``. A referent who edits the
allowlist, a custom recognizer or the policy's ``min_score`` re-runs them to see, before deploying,
whether names are still found and whether clean prompts stay clean. A case passes when:

* ``expect: true`` - a finding of that entity scores at least the threshold the policy applies to it
  (the lowest ``min_score`` of the data rules acting on it, 0.5 when none does);
* ``expect: false`` - no finding of that entity reaches that threshold.

The threshold is the policy's so that the test answers the real question: "would the proxy act?".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dlp_proxy.errors import ConfigError, ConfigProblem
from dlp_proxy.yamlload import LineDict, LineList, load_yaml

if TYPE_CHECKING:
    from dlp_proxy.detect.engine import DetectionEngine
    from dlp_proxy.detect.findings import Finding

TESTS_DIR = "tests"
DEFAULT_MIN_SCORE = 0.5


@dataclass(frozen=True)
class CaseResult:
    """The outcome of one case, with a reason a referent can act on."""

    index: int
    line: int
    text: str
    expect: bool
    passed: bool
    reason: str


@dataclass(frozen=True)
class FileResult:
    """All cases of one test file."""

    path: Path
    entity: str
    min_score: float
    cases: tuple[CaseResult, ...]

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.cases)

    @property
    def failures(self) -> tuple[CaseResult, ...]:
        return tuple(c for c in self.cases if not c.passed)


@dataclass(frozen=True)
class RuleTestReport:
    """Every test file of a rules directory; ``passed`` is what ``check-rules`` turns into its exit code."""

    files: tuple[FileResult, ...]

    @property
    def passed(self) -> bool:
        return all(f.passed for f in self.files)

    @property
    def total(self) -> int:
        return sum(len(f.cases) for f in self.files)

    @property
    def failed(self) -> int:
        return sum(len(f.failures) for f in self.files)

    def format(self) -> str:
        """Human report: one line per file, one line per failed case, a total."""
        lines: list[str] = []
        for f in self.files:
            ok = len(f.cases) - len(f.failures)
            lines.append(f"{f.path}: {f.entity} (min_score {f.min_score:g}): {ok}/{len(f.cases)} passed")
            for c in f.failures:
                want = "expected" if c.expect else "did not expect"
                lines.append(f"  FAIL {f.path}:{c.line}: {want} {f.entity} in {c.text!r}: {c.reason}")
        if not self.files:
            lines.append("no rule tests found")
        lines.append(f"{len(self.files)} files, {self.total} cases, {self.failed} failed")
        return "\n".join(lines)


def entity_thresholds(rules_dir: Path) -> dict[str, float]:
    """Lowest ``min_score`` per entity over the policy's data rules acting on it (action other than allow)."""
    from dlp_proxy.policy import load_policy

    policy = load_policy(rules_dir)
    thresholds: dict[str, float] = {}
    for rule in policy.data_rules:
        if rule.action == "allow":
            continue
        for entity in rule.entities:
            thresholds[entity] = min(thresholds.get(entity, rule.min_score), rule.min_score)
    return thresholds


def _load_cases(path: Path, supported: tuple[str, ...]) -> tuple[str, list[tuple[int, str, bool]]]:
    """(entity, [(line, text, expect)]) from one file; ConfigError naming file and line when malformed."""
    name = str(path)
    data = load_yaml(path, name)
    problems: list[ConfigProblem] = []
    if not isinstance(data, LineDict):
        raise ConfigError(
            [ConfigProblem(name, getattr(data, "line", 1), "expected a mapping with 'entity' and 'cases'")]
        )
    for key in data:
        if key not in ("entity", "cases", "description"):
            problems.append(
                ConfigProblem(name, data.line_of(key), f"unknown key {key!r} (expected entity, cases)")
            )
    entity = data.get("entity")
    if not isinstance(entity, str) or not entity:
        problems.append(ConfigProblem(name, data.line_of("entity"), "'entity' must name an entity type"))
        entity = ""
    elif entity not in supported:
        problems.append(
            ConfigProblem(
                name,
                data.line_of("entity"),
                f"unknown entity {entity!r} (the engine finds: {', '.join(supported)})",
            )
        )
    cases = data.get("cases")
    out: list[tuple[int, str, bool]] = []
    if not isinstance(cases, LineList) or not cases:
        problems.append(ConfigProblem(name, data.line_of("cases"), "'cases' must be a non-empty list"))
        cases = LineList()
    for i, case in enumerate(cases):
        line = cases.line_of(i)
        if not isinstance(case, LineDict):
            problems.append(ConfigProblem(name, line, "each case must be a mapping with 'text' and 'expect'"))
            continue
        text, expect = case.get("text"), case.get("expect")
        for key in case:
            if key not in ("text", "expect", "note"):
                problems.append(ConfigProblem(name, case.line_of(key), f"unknown key {key!r} in a case"))
        if not isinstance(text, str) or not text:
            problems.append(ConfigProblem(name, case.line_of("text"), "'text' must be a non-empty string"))
            continue
        if not isinstance(expect, bool):
            problems.append(ConfigProblem(name, case.line_of("expect"), "'expect' must be true or false"))
            continue
        out.append((line, text, expect))
    if problems:
        raise ConfigError(problems)
    return entity, out


def _describe(text: str, finding: Finding) -> str:
    return (
        f"{finding.entity_type} {text[finding.start : finding.end]!r} at {finding.start}-{finding.end} "
        f"(score {finding.score:.2f}, {finding.recognizer})"
    )


def run_rule_tests(rules_dir: Path, engine: DetectionEngine) -> RuleTestReport:
    """Run every ``rules_dir/tests/*.yaml`` file; ConfigError (all problems at once) for malformed files."""
    rules_dir = Path(rules_dir)
    thresholds = entity_thresholds(rules_dir)
    files = sorted((rules_dir / TESTS_DIR).glob("*.yaml")) + sorted((rules_dir / TESTS_DIR).glob("*.yml"))
    loaded: list[tuple[Path, str, list[tuple[int, str, bool]]]] = []
    problems: list[ConfigProblem] = []
    for path in files:
        try:
            entity, cases = _load_cases(path, engine.supported_entities)
        except ConfigError as exc:
            problems.extend(exc.problems)
            continue
        loaded.append((path, entity, cases))
    if problems:
        raise ConfigError(problems)

    results: list[FileResult] = []
    for path, entity, cases in loaded:
        threshold = thresholds.get(entity, DEFAULT_MIN_SCORE)
        texts = [text for _, text, _ in cases]
        all_findings = engine.analyze_batch(texts, entities=[entity], min_score=0.0)
        outcomes: list[CaseResult] = []
        for index, ((line, text, expect), findings) in enumerate(zip(cases, all_findings, strict=True)):
            above = [f for f in findings if f.score >= threshold]
            below = [f for f in findings if f.score < threshold]
            if expect:
                passed = bool(above)
                if above:
                    reason = "found " + _describe(text, max(above, key=lambda f: f.score))
                elif below:
                    best = max(below, key=lambda f: f.score)
                    reason = f"only {_describe(text, best)}, below the policy's {threshold:g}"
                else:
                    reason = f"no {entity} found"
            else:
                passed = not above
                reason = (
                    "found " + "; ".join(_describe(text, f) for f in above) if above else f"no {entity} found"
                )
            outcomes.append(CaseResult(index, line, text, expect, passed, reason))
        results.append(FileResult(path, entity, threshold, tuple(outcomes)))
    return RuleTestReport(tuple(results))
