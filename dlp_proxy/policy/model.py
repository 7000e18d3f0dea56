"""The company AI policy as typed, immutable objects, and the pure decision it makes for one request.

Nothing here reads files or knows about mitmproxy: the proxy, the CLI and the tests build a
:class:`Policy` with :func:`dlp_proxy.policy.load_policy` and ask it questions, so all of them share
one code path and one set of answers.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from .workflows import PortalSettings, Roles, SanctionLadder

if TYPE_CHECKING:
    from dlp_proxy.catalog import Catalog, Service

#: ``warn``: allowed once the user has justified the use (coaching); ``validation_manager``: allowed
#: with an access their manager granted in the portal.
STATUSES = ("approved", "warn", "validation_manager", "pilot", "forbidden")
REFERENT_ROLES = ("informatique", "juridique", "metier")
HOSTING_CLASSES = ("company", "eu", "outside_eu")
#: ``warn``: the user justifies the use first; ``validation_manager``: a use that needs the manager's
#: validation (a grant for the tool, asked for in the portal), e.g. client data sent to the internal LLM.
DATA_ACTIONS = ("block", "redact", "pseudonymize", "allow", "warn", "validation_manager")
USAGE_KINDS = ("libre", "validation_manager", "interdit")
#: When the names of one request (CONNECT, SNI, Host, URL) designate different tools: refuse it, or
#: decide on the strictest of them.
MISMATCH_ACTIONS = ("block", "strictest")
LANGUAGES = ("fr", "en")

# Rule ids are read by people (incidents, metrics labels, reports), so they use the policy's French words.
_STATUS_WORDS = {
    "approved": "autorise",
    "warn": "avertissement",
    "validation_manager": "validation-manager",
    "pilot": "pilote",
    "forbidden": "interdit",
}


@dataclass(frozen=True)
class Referent:
    """A person employees can turn to about AI use (the guide asks for IT, legal and business referents)."""

    role: str
    name: str
    contact: str


@dataclass(frozen=True)
class ChangelogEntry:
    """One published revision of the policy: the quarterly review must be communicated, not only made."""

    version: str
    date: date
    changes: tuple[str, ...]


@dataclass(frozen=True)
class ModelRule:
    """Which models of a tool may be used: a deny-list or an allow-list of case-insensitive globs."""

    mode: Literal["allow", "deny"]
    patterns: tuple[str, ...]
    reason: str
    reason_en: str | None
    warn: tuple[str, ...] = ()  # models allowed once the user has justified the use (coaching)

    def matching_pattern(self, model: str) -> str | None:
        """The first pattern (as written in the policy) that matches ``model``, else ``None``.

        Matching ignores case and is tried on the full name and on its last ``/`` segment, so
        ``o1-pro*`` also catches ``O1-PRO-2025-03-19`` and routed names such as ``openai/o1-pro``.
        """
        name = model.strip().lower()
        candidates = {name, name.rsplit("/", 1)[-1]}
        for pattern in self.patterns:
            lowered = pattern.lower()
            if any(fnmatchcase(candidate, lowered) for candidate in candidates):
                return pattern
        return None

    def warning_pattern(self, model: str) -> str | None:
        """The first ``warn`` pattern matching ``model``: allowed once the user has justified the use."""
        name = model.strip().lower()
        candidates = {name, name.rsplit("/", 1)[-1]}
        return next((p for p in self.warn if any(fnmatchcase(c, p.lower()) for c in candidates)), None)

    def forbids(self, model: str) -> bool:
        """True when the policy does not let this model be used (listed in deny, or missing from allow)."""
        matched = self.matching_pattern(model) is not None
        return matched if self.mode == "deny" else not matched


@dataclass(frozen=True)
class ToolPolicy:
    """What the policy says about one catalog tool; ``listed`` is False when it comes from ``defaults``."""

    service_id: str
    status: str
    reason: str
    reason_en: str | None
    usage: tuple[str, ...]
    groups: tuple[str, ...]
    models: ModelRule | None
    listed: bool
    data: tuple[tuple[str, str], ...] = ()  # entity type → action: this tool's exceptions to the data rules
    unscannable: tuple[tuple[str, str], ...] = ()  # content kind → allow | block, for this tool

    @property
    def data_overrides(self) -> dict[str, str]:
        return dict(self.data)


@dataclass(frozen=True)
class DataRule:
    """What to do with detected entities of some types when the tool is hosted in some places."""

    id: str
    description: str
    entities: tuple[str, ...]
    hosting: tuple[str, ...]
    action: str
    min_score: float


@dataclass(frozen=True)
class Decision:
    """The outcome of the tool/user/model check for one request, ready to be shown and recorded.

    ``rule_id`` is stable and readable (``outil:<id>:interdit``, ``outil:<id>:pilote``,
    ``outil:<id>:autorise``, ``outil:defaut:<statut>``, ``modele:<id>:<motif>``,
    ``modele:<id>:hors-liste``) so incidents and metrics can be grouped by it.
    ``reason`` is the policy author's explanation, already in the policy language.
    """

    action: Literal["allow", "block", "warn", "validate"]  # warn: justify first; validate: a grant
    code: str | None
    rule_id: str
    reason: str
    service_id: str | None
    tool_name: str | None
    status: str
    model: str | None


@dataclass(frozen=True)
class NetworkRule:
    """A client address range whose users belong to some groups (for proxies without authentication)."""

    network: ipaddress.IPv4Network | ipaddress.IPv6Network
    groups: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class Directory:
    """Who belongs to which group, by proxy user name and by client network."""

    groups: dict[str, str]
    users: dict[str, tuple[str, ...]]
    networks: tuple[NetworkRule, ...]
    roles: Roles = field(default_factory=Roles)  # managers, AI referents, security (the portal's roles)

    def groups_for(self, user: str | None, client_ip: str | None) -> tuple[str, ...]:
        """Union of the user's groups and of every network containing ``client_ip``, sorted and unique.

        User names compare case-insensitively (directories such as LDAP do). An unparsable address
        gives no network groups rather than an error: identity must never crash a flow.
        IPv4-mapped IPv6 addresses (``::ffff:10.20.1.5``, as a dual-stack listener reports them)
        are matched as IPv4.
        """
        found: set[str] = set()
        if user:
            found.update(self.users.get(user.casefold(), ()))
        address = _parse_ip(client_ip)
        if address is not None:
            for rule in self.networks:
                if address.version == rule.network.version and address in rule.network:
                    found.update(rule.groups)
        return tuple(sorted(found))


def _parse_ip(text: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not text:
        return None
    candidate = text.strip()
    if candidate.startswith("[") and candidate.endswith("]"):
        candidate = candidate[1:-1]
    try:
        address = ipaddress.ip_address(candidate)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@dataclass(frozen=True, eq=False)
class Policy:
    """The whole validated policy: metadata, referents, tools, data rules, plus catalog and directory."""

    version: str
    title: str
    last_review: date
    next_review: date
    language: str
    referents: tuple[Referent, ...]
    tools: dict[str, ToolPolicy]
    data_rules: tuple[DataRule, ...]
    body_size_limit: int
    scan_timeout_seconds: float
    catalog: Catalog
    directory: Directory
    extra_hosts: tuple[str, ...]
    source_files: tuple[Path, ...]
    changelog: tuple[ChangelogEntry, ...] = ()
    usages: dict[str, tuple[str, ...]] = field(default_factory=dict)
    consequences: tuple[str, ...] = ()
    # incidents older than this are purged (a checkpoint keeps the chain verifiable)
    retention_months: int = 12
    unscannable: tuple[tuple[str, str], ...] = ()  # content kind (image, audio…) → allow | block
    unlisted_tool: str = "forbidden"
    unlisted_reason: str = ""
    unlisted_reason_en: str | None = None
    unlisted_groups: tuple[str, ...] = ()
    destination_mismatch: str = "block"
    portal: PortalSettings = field(default_factory=PortalSettings)
    sanctions: SanctionLadder | None = None

    def text(self, fr: str, en: str | None) -> str:
        """Pick the text in the policy language; English falls back to French when not translated."""
        if self.language == "en" and en:
            return en
        return fr

    def tool_policy(self, service_id: str) -> ToolPolicy:
        """The listed entry for this tool, or the default one (``listed=False``) for any other tool."""
        listed = self.tools.get(service_id)
        if listed is not None:
            return listed
        return ToolPolicy(
            service_id=service_id,
            status=self.unlisted_tool,
            reason=self.unlisted_reason,
            reason_en=self.unlisted_reason_en,
            usage=(),
            groups=self.unlisted_groups,
            models=None,
            listed=False,
        )

    def decide(self, service: Service, groups: Sequence[str], model: str | None) -> Decision:
        """Allow or block a request to ``service`` by a member of ``groups`` asking for ``model``.

        Pure: the same inputs always give the same decision. Order: tool status (forbidden, then
        pilot without a shared group), then the model rule; a request without a model name is not
        checked against the model rule (web apps rarely say which model they use).
        """
        tool = self.tool_policy(service.id)
        rule_tool = service.id if tool.listed else "defaut"
        model = model or None

        def decision(
            action: Literal["allow", "block", "warn", "validate"], code: str | None, rule_id: str, reason: str
        ) -> Decision:
            return Decision(
                action=action,
                code=code,
                rule_id=rule_id,
                reason=reason,
                service_id=service.id,
                tool_name=service.name,
                status=tool.status,
                model=model,
            )

        tool_reason = self.text(tool.reason, tool.reason_en)
        if tool.status == "forbidden":
            return decision("block", "tool_forbidden", f"outil:{rule_tool}:interdit", tool_reason)
        if tool.status == "pilot" and not set(groups) & set(tool.groups):
            return decision("block", "tool_pilot_only", f"outil:{rule_tool}:pilote", tool_reason)
        if tool.models is not None and model is not None and tool.models.forbids(model):
            pattern = tool.models.matching_pattern(model) if tool.models.mode == "deny" else None
            rule_id = f"modele:{service.id}:{pattern or 'hors-liste'}"
            return decision(
                "block", "model_forbidden", rule_id, self.text(tool.models.reason, tool.models.reason_en)
            )
        if tool.models is not None and model is not None and (hit := tool.models.warning_pattern(model)):
            reason = self.text(tool.models.reason, tool.models.reason_en)
            rule_id = f"modele:{service.id}:avertissement:{hit}"
            return decision("warn", "justification_required", rule_id, reason)
        rule_id = f"outil:{rule_tool}:{_STATUS_WORDS[tool.status]}"
        if tool.status == "warn":
            return decision("warn", "justification_required", rule_id, tool_reason)
        if tool.status == "validation_manager":
            return decision("validate", "validation_required", rule_id, tool_reason)
        return decision("allow", None, rule_id, tool_reason)

    def intercepts(self, host: str) -> bool:
        """True when traffic to ``host`` must be decrypted and checked (catalog tool or extra host)."""
        if self.catalog.intercepts(host) or normalize_host(host) == self.portal.host:
            return True
        return normalize_host(host) in self.extra_hosts

    def service_for(self, host: str, path: str = "/") -> Service | None:
        """The tool a request goes to: a catalog service, or — for a host the policy names in
        ``extra_hosts`` — an unlisted generic AI service (hosted outside the EU, status of unlisted
        tools). Decrypted traffic never goes on without a decision."""
        service = self.catalog.classify(host, path)
        if service is not None:
            return service
        name = normalize_host(host)
        if name in self.extra_hosts:
            from dlp_proxy.catalog import Service  # runtime import: catalog is a type-only import here

            return Service(
                id=f"hote:{name}",
                name=name,
                vendor="",
                family="generic",
                kind="webapp",
                hosting="outside_eu",
                hosts=(),
                notes="named in extra_hosts",
            )
        return None

    def approved_tools(self) -> list[str]:
        """Display names of the approved tools, in policy order, to suggest an alternative when blocking."""
        names: list[str] = []
        for service_id, tool in self.tools.items():
            if tool.status != "approved":
                continue
            service = self.catalog.get(service_id)
            name = service.name if service is not None else service_id
            if name not in names:
                names.append(name)
        return names

    def unscannable_action(self, service_id: str, hosting: str, kind: str) -> str:
        """What to do with content the proxy cannot scan (image, audio, token ids, unreadable document).

        The tool's own setting, then the policy default; company-hosted tools receive everything
        (no client data leaves the company); anything not said is blocked (fail closed).
        """
        tool = dict(self.tool_policy(service_id).unscannable)
        if kind in tool:
            return tool[kind]
        if hosting == "company":
            return "allow"
        return dict(self.unscannable).get(kind, "block")

    def data_rules_for(self, hosting: str) -> tuple[DataRule, ...]:
        """Data rules that apply to tools of this hosting class (company, eu, outside_eu)."""
        return tuple(rule for rule in self.data_rules if hosting in rule.hosting)

    def review_overdue(self, today: date) -> bool:
        """True when the quarterly review date has passed: reports and ``check-config`` can say so."""
        return today > self.next_review


def normalize_host(host: str) -> str:
    """Lower-case and without a trailing dot, so host comparisons are exact."""
    return host.strip().rstrip(".").lower()
