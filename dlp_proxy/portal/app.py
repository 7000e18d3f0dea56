"""The AI portal: coaching, manager validation, tool adoption requests and the sanctions ladder.

One :class:`PortalService` per proxy. It answers portal requests (:meth:`handle`, from the proxy's
reserved host or the admin listener; the caller says who the user is, already authenticated), gives
the refusal path its links and browser interstitials, and counts refusals for the sanctions ladder.

Security rules, all checked here, server-side: every POST carries a CSRF token bound to the user;
every page checks the role it needs from ``directory.yaml`` (never from a form field); URLs carry no
personal data (ids of rows and tools only); every action is recorded in the incident hash chain.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from dlp_proxy.incidents import IncidentFilter, IncidentStore
from dlp_proxy.logs import get_logger
from dlp_proxy.policy import Policy

from . import adoption
from .gate import PORTAL_CODES
from .pages import render
from .policysync import PolicySync
from .store import PortalStore
from .view import WorkflowView

log = get_logger("dlp_proxy.portal")

CSRF_SECONDS = 12 * 3600
MAX_BODY = 64 * 1024
STEPS = ("legal", "it", "pilot", "rollout")
_STEP_LABELS = {
    "manager": ("en attente du manager", "waiting for the manager"),
    "request": ("Demande formelle", "Formal request"),
    "legal": ("Validation juridique", "Legal validation"),
    "it": ("Validation informatique", "IT validation"),
    "pilot": ("Test pilote", "Pilot"),
    "rollout": ("Déploiement progressif", "Progressive rollout"),
}
_STATUS_LABELS = {
    "open": ("en cours", "open"),
    "approved": ("approuvée", "approved"),
    "refused": ("refusée", "refused"),
    "done": ("terminée (outil déployé)", "done (tool rolled out)"),
}
_INCIDENT_LABELS = {
    "pseudonymized": ("données pseudonymisées", "data pseudonymized"),
    "redacted": ("données masquées", "data redacted"),
    "justification_required": ("justification demandée", "justification required"),
    "validation_required": ("validation du manager demandée", "manager validation required"),
    "access_suspended": ("bloqué : accès suspendu", "blocked: access suspended"),
    "reminder_required": ("rappel à lire", "reminder to read"),
    "tool_forbidden": ("bloqué : outil interdit", "blocked: forbidden tool"),
    "tool_pilot_only": ("bloqué : outil en test pilote", "blocked: tool in pilot"),
    "model_forbidden": ("bloqué : modèle interdit", "blocked: forbidden model"),
    "sensitive_data": ("bloqué : données sensibles", "blocked: sensitive data"),
    "unscannable_content": ("bloqué : contenu non analysable", "blocked: content not scannable"),
}
_SANCTION_STATUS = {
    "active": ("active", "active"),
    "acknowledged": ("rappel lu", "acknowledged"),
    "lifted": ("levée", "lifted"),
    "confirmed": ("confirmée", "confirmed"),
}


@dataclass(frozen=True)
class PortalRequest:
    """A request to the portal; ``user`` is the authenticated proxy user (``None``: unknown)."""

    method: str
    target: str  # path and query
    headers: Mapping[str, str]
    body: bytes
    user: str | None
    base: str = ""  # absolute base of links ("https://ia.portail"), "" on the admin listener

    @property
    def path(self) -> str:
        return urlsplit(self.target).path or "/"

    @property
    def query(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(urlsplit(self.target).query).items()}


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    def triple(self) -> tuple[int, dict[str, str], bytes]:
        return self.status, self.headers, self.body


def security_headers() -> dict[str, str]:
    return {
        "content-type": "text/html; charset=utf-8",
        "cache-control": "no-store",
        "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; "
        "base-uri 'none'",
        "x-frame-options": "DENY",
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
    }


class Refused(Exception):
    """A request the portal refuses (status, message shown to the user)."""

    def __init__(self, status: int, fr: str, en: str) -> None:
        super().__init__(fr)
        self.status, self.fr, self.en = status, fr, en


class PortalService:
    """The portal of one proxy (see the module docstring)."""

    def __init__(
        self,
        store: PortalStore,
        incidents: IncidentStore,
        policy: Callable[[], Policy | None],
        rules_dir: Callable[[], Path | None],
        *,
        view_interval: float = 1.0,
    ) -> None:
        self.store = store
        self.incidents = incidents
        self._policy = policy
        self._rules_dir = rules_dir
        self.view = WorkflowView(store.active_state, view_interval)
        self.policy_sync = PolicySync(
            store, rules_dir, lambda: bool((p := policy()) and p.portal.policy_sync), view_interval
        )
        self._background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dlp-portal")

    # ------------------------------------------------------------------ life cycle
    def start(self) -> PortalService:
        self.view.start()
        self.policy_sync.start()
        return self

    def stop(self) -> None:
        self.policy_sync.stop()
        self.view.stop()
        self._background.shutdown(wait=True)
        self.store.close()

    @property
    def policy(self) -> Policy:
        policy = self._policy()
        if policy is None:
            raise Refused(503, "Politique IA indisponible.", "AI policy unavailable.")
        return policy

    @property
    def host(self) -> str:
        policy = self._policy()
        return policy.portal.host if policy is not None else ""

    def base_url(self) -> str:
        return self.policy.portal.base_url

    # ------------------------------------------------------------------ CSRF
    def csrf_token(self, user: str, at: int | None = None) -> str:
        ts = str(int(at if at is not None else time.time()))
        mac = hmac.new(self.store.secret, f"{user.casefold()}|{ts}".encode(), hashlib.sha256).hexdigest()
        return f"{ts}.{mac}"

    def csrf_ok(self, user: str, token: str) -> bool:
        ts, _, _mac = token.partition(".")
        if not ts.isdigit() or abs(time.time() - int(ts)) > CSRF_SECONDS:
            return False
        return hmac.compare_digest(self.csrf_token(user, int(ts)), token)

    # ------------------------------------------------------------------ the refusal path
    def link(self, code: str, tool: str, rule_id: str) -> str | None:
        """The portal page a refusal points to (tool and rule ids only: no personal data)."""
        base = self.base_url()
        if code == "justification_required":
            return f"{base}/justifier?{urlencode({'outil': tool, 'regle': rule_id})}"
        if code == "validation_required":
            return f"{base}/acces/demander?{urlencode({'outil': tool})}"
        if code == "reminder_required":
            return f"{base}/rappel"
        if code == "access_suspended":
            return f"{base}/historique"
        if code in ("tool_forbidden", "tool_pilot_only"):
            return f"{base}/adoption/demander?{urlencode({'outil': tool})}"
        return None

    def interstitial(
        self, user: str | None, tool: str, tool_name: str, code: str, rule_id: str, url: str
    ) -> tuple[int, dict[str, str], bytes] | None:
        """A browser's page for a refusal it can act on: the form, posted to the portal."""
        if code not in PORTAL_CODES or not user:
            return None
        policy = self.policy
        back = return_url(url)
        ctx = self._context(user, self.base_url(), nav=False)
        if code == "justification_required":
            page = self._justify_page(ctx, tool, rule_id, back)
        elif code == "validation_required":
            page = self._access_page(ctx, user, tool)
        elif code == "reminder_required":
            page = render(
                "reminder",
                **ctx,
                title=ctx["_"]("Rappel de la politique IA", "AI policy reminder"),
                tone="warn",
                consequences=policy.consequences,
                sanction_id=self.view.reminder(user),
                back=back,
            )
        else:
            title = ctx["_"]("Accès suspendu", "Access suspended")
            page = render("suspended", **ctx, title=title, tone="block")
        return 403, security_headers(), page.encode()

    def note_block(self, user: str | None, code: str) -> None:
        """A refusal for data counts on the sanctions ladder (in the background, never in the flow)."""
        policy = self._policy()
        if not user or policy is None or policy.sanctions is None or code not in policy.sanctions.codes:
            return
        ladder = policy.sanctions

        def work() -> None:
            try:
                if self.store.add_strike(user, code, ladder) is not None:
                    self.view.refresh()
            except Exception as exc:
                log.error("sanction_count_failed", error=type(exc).__name__)

        try:
            self._background.submit(work)
        except RuntimeError:  # shutting down (the store is being reopened): never raise into a flow
            log.warning("sanction_count_skipped")

    # ------------------------------------------------------------------ pages
    def handle(self, req: PortalRequest) -> tuple[int, dict[str, str], bytes]:
        """Answer one portal request; never raises (a bug answers 500 without details)."""
        try:
            return self._handle(req).triple()
        except Refused as exc:
            return self._message(req, exc.status, exc.fr, exc.en).triple()
        except Exception as exc:
            log.error("portal_error", error=type(exc).__name__, path=urlsplit(req.target).path[:100])
            return self._message(req, 500, "Erreur interne du portail.", "Portal internal error.").triple()

    def _lang(self) -> str:
        policy = self._policy()
        return policy.language if policy is not None else "fr"

    def _message(self, req: PortalRequest, status: int, fr: str, en: str) -> Response:
        ctx = self._context(req.user, req.base, nav=bool(req.user))
        title = ctx["_"]("Portail IA", "AI portal")
        body = render("message", **ctx, title=title, tone="block", message=ctx["_"](fr, en))
        return Response(status, body.encode(), security_headers())

    def _context(self, user: str | None, base: str, *, nav: bool = True) -> dict[str, Any]:
        policy = self._policy()
        lang = self._lang()

        def _(fr: str, en: str) -> str:
            return fr if lang == "fr" else en

        roles = policy.directory.roles if policy is not None else None

        def tool_name(sid: str) -> str:
            service = policy.catalog.get(sid) if policy is not None else None
            return service.name if service is not None else sid

        def pick(table: dict[str, tuple[str, str]], key: str) -> str:
            return _(*table[key]) if key in table else key

        return {
            "lang": lang,
            "_": _,
            "base": base,
            "user": user,
            "nav": nav,
            "flash": None,
            "error": None,
            "csrf": self.csrf_token(user) if user else "",
            "roles": {
                "manager": bool(roles and roles.is_manager(user)),
                "referent": bool(roles and roles.is_referent(user)),
                "security": bool(roles and roles.is_security(user)),
            },
            "tool_name": tool_name,
            "day": lambda text: str(text)[:10] if text else "",
            "kind_label": lambda k: (
                _("validation du manager", "manager validation")
                if k == "validation"
                else _("adoption d'un outil", "tool adoption")
            ),
            "status_label": lambda s, step: (
                f"{pick(_STATUS_LABELS, s)} — {pick(_STEP_LABELS, step)}"
                if s == "open"
                else pick(_STATUS_LABELS, s)
            ),
            "step_label": lambda s: pick(_STEP_LABELS, s),
            "decision_label": lambda d: {
                "accepted": _("acceptée", "accepted"),
                "refused": _("refusée", "refused"),
            }.get(d, d),
            "level_label": lambda lv: (
                _("rappel à l'ordre", "reminder")
                if lv == "reminder"
                else _("suspension de l'accès aux outils d'IA externes", "suspension of external AI tools")
            ),
            "sanction_status": lambda s: pick(_SANCTION_STATUS, s),
            "incident_label": lambda decision, code: (
                pick(_INCIDENT_LABELS, code) if decision == "blocked" else pick(_INCIDENT_LABELS, decision)
            ),
        }

    def _page(self, req: PortalRequest, name: str, title: tuple[str, str], **extra: Any) -> Response:
        ctx = self._context(req.user, req.base)
        flash = _FLASH.get(req.query.get("ok", ""))
        ctx.update(flash=ctx["_"](*flash) if flash else None, title=ctx["_"](*title), tone="")
        ctx.update(extra)
        return Response(200, render(name, **ctx).encode(), security_headers())

    def _redirect(self, location: str) -> Response:
        headers = security_headers()
        headers["location"] = location
        return Response(303, b"", headers)

    def _handle(self, req: PortalRequest) -> Response:
        if not req.user:
            raise Refused(
                401,
                "Identification requise : le portail IA utilise votre identifiant du proxy.",
                "Authentication required: the AI portal uses your proxy user name.",
            )
        if req.method not in ("GET", "HEAD", "POST"):
            raise Refused(405, "Méthode non autorisée.", "Method not allowed.")
        route = _ROUTES.get((req.method if req.method != "HEAD" else "GET", req.path))
        if route is None:
            raise Refused(404, "Page introuvable.", "Page not found.")
        form: dict[str, str] = {}
        if req.method == "POST":
            if len(req.body) > MAX_BODY:
                raise Refused(413, "Formulaire trop long.", "Form too large.")
            ctype = req.headers.get("content-type", "")
            if not ctype.startswith("application/x-www-form-urlencoded"):
                raise Refused(415, "Formulaire attendu.", "Form expected.")
            parsed = parse_qs(req.body.decode("utf-8", "replace"), keep_blank_values=True)
            if any(len(v) > 1 for v in parsed.values()):
                raise Refused(400, "Champ en double.", "Duplicated field.")
            form = {k: v[0] for k, v in parsed.items()}
            if not self.csrf_ok(req.user, form.get("csrf", "")):
                log.warning("portal_csrf_refused", path=req.path)
                raise Refused(
                    403,
                    "Jeton de formulaire invalide ou expiré : rechargez la page.",
                    "Invalid or expired form token: reload the page.",
                )
        return route(self, req, form)

    # -- role checks (from directory.yaml only)
    def _roles(self):  # -> Roles
        return self.policy.directory.roles

    def _need_referent(self, req: PortalRequest) -> None:
        if not self._roles().is_referent(req.user):
            raise Refused(403, "Réservé aux référents IA.", "AI referents only.")

    def _tool(self, sid: str) -> str:
        policy = self.policy
        if not sid or (policy.catalog.get(sid) is None and sid not in policy.tools):
            raise Refused(400, "Outil inconnu.", "Unknown tool.")
        return sid

    # -- home, history
    def home(self, req: PortalRequest, form: dict[str, str]) -> Response:
        user = req.user
        assert user is not None
        policy = self.policy
        susp = self.view.snapshot.suspended.get(user.casefold())
        return self._page(
            req,
            "home",
            ("Mon espace", "My space"),
            grants=self.store.grants(user, active=True),
            requests=self.store.requests(user=user),
            referents=policy.referents,
            policy_title=policy.title,
            version=policy.version,
            reminder=self.view.reminder(user),
            suspended=susp[0][:10] if susp and self.view.suspended(user) else None,
        )

    def history(self, req: PortalRequest, form: dict[str, str]) -> Response:
        user = req.user
        assert user is not None
        incidents = [
            i
            for i in self.incidents.query(IncidentFilter(user=user, order="desc", limit=200))
            if i.decision != "portal"
        ]
        return self._page(
            req,
            "history",
            ("Mon historique", "My history"),
            incidents=incidents,
            justifications=self.store.justifications(user),
            sanctions=self.store.sanctions(user),
        )

    # -- coaching
    def _justify_page(self, ctx: dict[str, Any], tool: str, rule: str, back: str) -> str:
        policy = self.policy
        service = policy.catalog.get(tool)
        decision_reason = policy.text(policy.tool_policy(tool).reason, policy.tool_policy(tool).reason_en)
        return render(
            "justify",
            **ctx,
            title=ctx["_"]("Justification de l'usage", "Justify this use"),
            tone="warn",
            tool=service.name if service else tool,
            tool_id=tool,
            rule=rule,
            reason=decision_reason if rule.startswith("outil:") else _rule_text(policy, rule),
            hours=f"{policy.portal.justification_hours:g}",
            back=back,
        )

    def justify_form(self, req: PortalRequest, form: dict[str, str]) -> Response:
        q = req.query
        ctx = self._context(req.user, req.base)
        page = self._justify_page(ctx, self._tool(q.get("outil", "")), _rule(q.get("regle", "")), "")
        return Response(200, page.encode(), security_headers())

    def justify(self, req: PortalRequest, form: dict[str, str]) -> Response:
        assert req.user is not None
        tool, rule = self._tool(form.get("outil", "")), _rule(form.get("regle", ""))
        text = form.get("texte", "").strip()
        if len(text) < 10 or len(text) > 2000:
            raise Refused(
                400,
                "Justification trop courte (10 caractères au moins).",
                "Justification too short (at least 10 characters).",
            )
        self.store.add_justification(req.user, tool, rule, text, self.policy.portal.justification_hours)
        self.view.refresh()
        back = valid_return(form.get("retour", ""), self.policy)
        return self._redirect(back or f"{req.base}/?ok=justified")

    # -- manager validation
    def _access_page(self, ctx: dict[str, Any], user: str, tool: str) -> str:
        policy = self.policy
        service = policy.catalog.get(tool)
        tp = policy.tool_policy(tool)
        return render(
            "access",
            **ctx,
            title=ctx["_"]("Demande d'accès", "Access request"),
            tone="warn",
            tool=service.name if service else tool,
            tool_id=tool,
            reason=policy.text(tp.reason, tp.reason_en),
            managers=policy.directory.roles.manager_of(user),
            max_days=policy.portal.max_grant_days,
        )

    def access_form(self, req: PortalRequest, form: dict[str, str]) -> Response:
        assert req.user is not None
        ctx = self._context(req.user, req.base)
        page = self._access_page(ctx, req.user, self._tool(req.query.get("outil", "")))
        return Response(200, page.encode(), security_headers())

    def access_request(self, req: PortalRequest, form: dict[str, str]) -> Response:
        assert req.user is not None
        tool = self._tool(form.get("outil", ""))
        use = form.get("usage", "").strip()
        days = form.get("duree", "")
        if not use or len(use) > 2000 or not days.isdigit():
            raise Refused(400, "Cas d'usage et durée requis.", "Use case and duration required.")
        managers = self._roles().manager_of(req.user)
        if not managers:
            raise Refused(400, "Aucun manager dans l'annuaire.", "No manager in the directory.")
        max_days = self.policy.portal.max_grant_days
        self.store.add_request(
            "validation", req.user, tool, use, days=max(1, min(int(days), max_days)), manager=managers[0]
        )
        return self._redirect(f"{req.base}/?ok=requested")

    def team(self, req: PortalRequest, form: dict[str, str]) -> Response:
        roles = self._roles()
        if not roles.is_manager(req.user):
            raise Refused(403, "Réservé aux managers.", "Managers only.")
        mine = [
            r
            for r in self.store.requests(kind="validation", status="open")
            if roles.manages(req.user, r.username)
        ]
        grants = [g for g in self.store.grants(active=True) if roles.manages(req.user, g.username)]
        return self._page(req, "team", ("Mon équipe", "My team"), pending=mine, grants=grants)

    def access_decide(self, req: PortalRequest, form: dict[str, str]) -> Response:
        assert req.user is not None
        row = self.store.request(_int(form.get("demande")))
        if row is None or row.kind != "validation":
            raise Refused(404, "Demande introuvable.", "Request not found.")
        # Only the requester's manager (directory.yaml), never the requester: not a form field's say.
        if row.user_key == req.user.casefold() or not self._roles().manages(req.user, row.username):
            log.warning("portal_role_refused", action="access_decide")
            raise Refused(
                403, "Vous n'êtes pas le manager de ce collaborateur.", "You are not this employee's manager."
            )
        decision = form.get("decision")
        if decision not in ("approve", "refuse"):
            raise Refused(400, "Décision invalide.", "Invalid decision.")
        comment = form.get("commentaire", "").strip()[:1000]
        done = self.store.decide_validation(
            row.id, req.user, decision == "approve", comment, self.policy.portal.max_grant_days
        )
        if done is None:
            raise Refused(409, "Demande déjà traitée.", "Request already decided.")
        self.view.refresh()
        return self._redirect(f"{req.base}/equipe?ok=decided")

    def grants_page(self, req: PortalRequest, form: dict[str, str]) -> Response:
        self._need_referent(req)
        return self._page(req, "grants", ("Accès accordés", "Grants"), grants=self.store.grants(active=True))

    def grant_revoke(self, req: PortalRequest, form: dict[str, str]) -> Response:
        self._need_referent(req)
        assert req.user is not None
        if not self.store.revoke_grant(_int(form.get("acces")), req.user):
            raise Refused(404, "Accès introuvable ou déjà révoqué.", "Grant not found or already revoked.")
        self.view.refresh()
        return self._redirect(f"{req.base}/acces?ok=revoked")

    # -- adoption requests
    def adopt_form(self, req: PortalRequest, form: dict[str, str]) -> Response:
        policy = self.policy
        tools = sorted(
            (
                (sid, s.name)
                for sid, s in policy.catalog.services.items()
                if policy.tool_policy(sid).status != "approved"
            ),
            key=lambda t: t[1].lower(),
        )
        title = ("Demander l'évaluation d'un outil", "Ask for a tool to be evaluated")
        return self._page(req, "adopt_new", title, tools=tools, tool_id=req.query.get("outil", ""))

    def adopt_request(self, req: PortalRequest, form: dict[str, str]) -> Response:
        assert req.user is not None
        tool = self._tool(form.get("outil", ""))
        use, data, team = (form.get(k, "").strip() for k in ("usage", "donnees", "equipe"))
        if not (use and data and team) or len(use) > 2000 or len(data) > 500 or len(team) > 200:
            raise Refused(400, "Tous les champs sont requis.", "Every field is required.")
        self.store.add_request("adoption", req.user, tool, use, data=data, team=team)
        return self._redirect(f"{req.base}/?ok=adoption")

    def adopt_queue(self, req: PortalRequest, form: dict[str, str]) -> Response:
        self._need_referent(req)
        rows = self.store.requests(kind="adoption")
        return self._page(
            req,
            "adopt_queue",
            ("Demandes d'adoption", "Adoption requests"),
            requests=[r for r in rows if r.status == "open"],
            closed=[r for r in rows if r.status != "open"],
            changes=self.store.changes(status="proposed"),
        )

    def adopt_one(self, req: PortalRequest, form: dict[str, str]) -> Response:
        self._need_referent(req)
        row = self.store.request(_int(req.query.get("n")))
        if row is None or row.kind != "adoption":
            raise Refused(404, "Demande introuvable.", "Request not found.")
        changes = self.store.changes(request_id=row.id, status="proposed")
        diffs = {
            c.id: adoption.diff_text(self._rules_dir(), c.new_text, self.policy.language) for c in changes
        }
        steps = self.store.steps(row.id)
        lang = self._lang()
        return self._page(
            req,
            "adopt_one",
            (f"Demande d'adoption n° {row.id}", f"Adoption request #{row.id}"),
            r=row,
            steps=steps,
            done={s.step for s in steps if s.decision == "accepted"} | {"request"},
            all_steps=[(s, _STEP_LABELS[s][0 if lang == "fr" else 1]) for s in ("request", *STEPS)],
            changes=changes,
            diffs=diffs,
            groups=sorted(self.policy.directory.groups),
            today=date.today().isoformat(),
        )

    def adopt_step(self, req: PortalRequest, form: dict[str, str]) -> Response:
        self._need_referent(req)
        assert req.user is not None
        row = self.store.request(_int(form.get("demande")))
        if row is None or row.kind != "adoption" or row.status != "open":
            raise Refused(404, "Demande introuvable ou close.", "Request not found or closed.")
        step = form.get("etape", "")
        if step != row.step or step not in STEPS:
            raise Refused(409, "Cette étape n'est pas l'étape en cours.", "This is not the current step.")
        if self.store.changes(request_id=row.id, status="proposed"):
            raise Refused(409, "Une modification attend déjà un second référent.", "A change already waits.")
        decision = form.get("decision")
        signer, day, comment = (
            form.get("nom", "").strip(),
            form.get("date", ""),
            form.get("commentaire", "").strip(),
        )
        if decision not in ("accepted", "refused") or not signer or len(signer) > 200 or len(comment) > 2000:
            raise Refused(400, "Nom et décision requis.", "Name and decision required.")
        try:
            date.fromisoformat(day)
        except ValueError:
            raise Refused(400, "Date invalide.", "Invalid date.") from None
        details: dict[str, str] = {}
        nxt = STEPS[STEPS.index(step) + 1] if step != STEPS[-1] else None
        if decision == "accepted" and step in ("pilot", "rollout"):
            policy = self.policy
            if step == "pilot":
                group, end = form.get("groupe", ""), form.get("fin", "")
                if group not in policy.directory.groups:
                    raise Refused(400, "Groupe inconnu.", "Unknown group.")
                try:
                    date.fromisoformat(end)
                except ValueError:
                    raise Refused(400, "Date de fin invalide.", "Invalid end date.") from None
                details = {"group": group, "start": day, "end": end}
            rules = self._rules_dir()
            if rules is None:
                raise Refused(503, "Répertoire des règles inconnu.", "Unknown rules directory.")
            try:
                change = adoption.propose(rules, policy, row, step, details, signer, day)
            except adoption.ChangeError as exc:
                raise Refused(409, f"Modification impossible : {exc}", f"Change impossible: {exc}") from None
            # The step is recorded when a second referent approves the change.
            step_data = {"signer": signer, "day": day, "comment": comment, "details": details}
            self.store.add_change(
                row.id, step, req.user, change.base_sha, change.text, change.summary, step_data
            )
            return self._redirect(f"{req.base}/adoption/demande?n={row.id}&ok=proposed")
        self.store.add_step(
            row.id,
            step,
            decision,
            req.user,
            signer=signer,
            day=day,
            comment=comment,
            details=details,
            next_step=nxt,
        )
        return self._redirect(f"{req.base}/adoption/demande?n={row.id}&ok=step")

    def adopt_approve(self, req: PortalRequest, form: dict[str, str]) -> Response:
        self._need_referent(req)
        assert req.user is not None
        change = self.store.change(_int(form.get("modification")))
        if change is None or change.status != "proposed":
            raise Refused(404, "Modification introuvable ou déjà traitée.", "Change not found or decided.")
        if change.proposed_by.casefold() == req.user.casefold():
            log.warning("portal_role_refused", action="adopt_approve_self")
            raise Refused(403, "Un second référent doit approuver.", "A second referent must approve.")
        row = self.store.request(change.request_id)
        assert row is not None
        if form.get("decision") == "reject":
            self.store.close_change(change.id, req.user, "rejected")
            return self._redirect(f"{req.base}/adoption/demande?n={row.id}&ok=rejected")
        rules = self._rules_dir()
        try:
            adoption.apply(rules, change.base_sha, change.new_text)
        except adoption.ChangeError as exc:
            self.store.close_change(change.id, req.user, "stale")
            raise Refused(409, f"Modification non appliquée : {exc}", f"Change not applied: {exc}") from None
        self.store.close_change(change.id, req.user, "applied")
        self.store.publish_policy(adoption.sha(change.new_text), change.new_text, req.user)
        step = change.step
        data = json.loads(change.step_data)
        nxt = STEPS[STEPS.index(step) + 1] if step != STEPS[-1] else None
        self.store.add_step(
            row.id,
            step,
            "accepted",
            req.user,
            signer=data["signer"],
            day=data["day"],
            comment=data["comment"],
            details={**data["details"], "change": change.id},
            next_step=nxt,
        )
        return self._redirect(f"{req.base}/adoption/demande?n={row.id}&ok=applied")

    # -- sanctions
    def sanctions_page(self, req: PortalRequest, form: dict[str, str]) -> Response:
        roles = self._roles()
        if not (roles.is_referent(req.user) or roles.is_security(req.user)):
            raise Refused(
                403, "Réservé aux référents IA et à l'équipe sécurité.", "AI referents and security only."
            )
        rows = self.store.sanctions()
        return self._page(
            req,
            "sanctions",
            ("Sanctions", "Sanctions"),
            sanctions=rows,
            confirmed=[s for s in rows if s.status == "confirmed"],
        )

    def sanction_decide(self, req: PortalRequest, form: dict[str, str]) -> Response:
        self._need_referent(req)
        assert req.user is not None
        action = form.get("action")
        if action not in ("lifted", "confirmed"):
            raise Refused(400, "Action invalide.", "Invalid action.")
        if not self.store.set_sanction(_int(form.get("sanction")), req.user, action):
            raise Refused(404, "Sanction introuvable ou close.", "Sanction not found or closed.")
        self.view.refresh()
        return self._redirect(f"{req.base}/sanctions?ok=sanction")

    def reminder_page(self, req: PortalRequest, form: dict[str, str]) -> Response:
        policy = self.policy
        return self._page(
            req,
            "reminder",
            ("Rappel de la politique IA", "AI policy reminder"),
            consequences=policy.consequences,
            sanction_id=self.view.reminder(req.user),
            back="",
        )

    def reminder_ack(self, req: PortalRequest, form: dict[str, str]) -> Response:
        assert req.user is not None
        # Only one's own reminder: the row must belong to the authenticated user.
        sanction = self.store.sanction(_int(form.get("sanction")))
        if sanction is None or sanction.level != "reminder" or sanction.user_key != req.user.casefold():
            raise Refused(404, "Rappel introuvable.", "Reminder not found.")
        self.store.set_sanction(sanction.id, req.user, "acknowledged", user=req.user)
        self.view.refresh()
        back = valid_return(form.get("retour", ""), self.policy)
        return self._redirect(back or f"{req.base}/?ok=acknowledged")


_FLASH = {
    "justified": ("Justification enregistrée.", "Justification recorded."),
    "requested": ("Demande envoyée à votre manager.", "Request sent to your manager."),
    "decided": ("Décision enregistrée.", "Decision recorded."),
    "revoked": ("Accès révoqué.", "Grant revoked."),
    "adoption": (
        "Demande d'évaluation envoyée aux référents IA.",
        "Evaluation request sent to the AI referents.",
    ),
    "step": ("Étape enregistrée.", "Step recorded."),
    "proposed": (
        "Modification de la politique proposée : un second référent doit l'approuver.",
        "Policy change proposed: a second referent must approve it.",
    ),
    "applied": ("Politique modifiée et rechargée.", "Policy changed and reloaded."),
    "rejected": ("Modification rejetée.", "Change rejected."),
    "sanction": ("Sanction mise à jour.", "Sanction updated."),
    "acknowledged": ("Rappel lu.", "Reminder acknowledged."),
}

_ROUTES: dict[tuple[str, str], Callable[[PortalService, PortalRequest, dict[str, str]], Response]] = {
    ("GET", "/"): PortalService.home,
    ("GET", "/historique"): PortalService.history,
    ("GET", "/justifier"): PortalService.justify_form,
    ("POST", "/justifier"): PortalService.justify,
    ("GET", "/acces/demander"): PortalService.access_form,
    ("POST", "/acces/demander"): PortalService.access_request,
    ("GET", "/equipe"): PortalService.team,
    ("POST", "/acces/decider"): PortalService.access_decide,
    ("GET", "/acces"): PortalService.grants_page,
    ("POST", "/acces/revoquer"): PortalService.grant_revoke,
    ("GET", "/adoption/demander"): PortalService.adopt_form,
    ("POST", "/adoption/demander"): PortalService.adopt_request,
    ("GET", "/adoption"): PortalService.adopt_queue,
    ("GET", "/adoption/demande"): PortalService.adopt_one,
    ("POST", "/adoption/etape"): PortalService.adopt_step,
    ("POST", "/adoption/approuver"): PortalService.adopt_approve,
    ("GET", "/sanctions"): PortalService.sanctions_page,
    ("POST", "/sanctions/decider"): PortalService.sanction_decide,
    ("GET", "/rappel"): PortalService.reminder_page,
    ("POST", "/rappel/accuser"): PortalService.reminder_ack,
}


def _int(value: str | None) -> int:
    return int(value) if value and value.isdigit() and len(value) < 12 else 0


def _rule(value: str) -> str:
    """A rule id as the policy writes them (``outil:x:avertissement``, ``donnees:regle``)."""
    if not value or len(value) > 200 or not all(c.isalnum() or c in ":-_.*" for c in value):
        raise Refused(400, "Règle invalide.", "Invalid rule.")
    return value


def _rule_text(policy: Policy, rule_id: str) -> str:
    if rule_id.startswith("donnees:"):
        for rule in policy.data_rules:
            if rule.id == rule_id.split(":", 1)[1]:
                return rule.description
    return ""


def return_url(url: str) -> str:
    """Where to go back after the interstitial: the AI page without its query (which may hold data)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    return f"{parts.scheme}://{parts.netloc}{parts.path or '/'}"


def valid_return(url: str, policy: Policy) -> str:
    """Only back to an AI tool the proxy intercepts (no open redirect to any site)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host or parts.query or parts.fragment:
        return ""
    if host == policy.portal.host or not policy.intercepts(host) or "\\" in url or "@" in parts.netloc:
        return ""
    return url
