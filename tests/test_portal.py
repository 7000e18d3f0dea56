"""The AI portal over a real SQLite incident store and a copy of the shipped rules.

Coaching (warn → justify), manager validation, the 4-step adoption path (policy.yaml rewritten,
checked and reloaded), the sanctions ladder, and the security rules: CSRF, authentication, roles
from the directory only, no path outside the routes, user text escaped in the DOM.
"""

from __future__ import annotations

import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

import pytest

from dlp_proxy.decide import decide_data
from dlp_proxy.incidents import IncidentFilter, open_store
from dlp_proxy.policy import load_policy
from dlp_proxy.portal.app import PortalRequest, PortalService, valid_return
from dlp_proxy.portal.gate import data_gate, tool_gate
from dlp_proxy.portal.store import PortalStore

REPO = Path(__file__).resolve().parents[1]


def write_rules(dst: Path) -> Path:
    shutil.copytree(REPO / "rules", dst)
    policy = dst / "policy.yaml"
    text = policy.read_text(encoding="utf-8")
    text = text.replace(
        "tools:\n",
        "tools:\n"
        '  mistral-api:\n    status: warn\n    reason: "Usage encadré : justifiez votre besoin."\n'
        '  le-chat:\n    status: validation_manager\n    reason: "Soumis à validation du manager."\n',
        1,
    )
    # the shipped mistral-api entry is replaced by the one above
    start = text.index("  mistral-api:\n    status: approved")
    end = text.index("  llm-interne:")
    policy.write_text(text[:start] + text[end:], encoding="utf-8")
    directory = dst / "directory.yaml"
    # a second team: cmartin manages mroux only (pmoreau manages everyone else)
    text = directory.read_text(encoding="utf-8").replace("managers:\n", "managers:\n  cmartin: [mroux]\n", 1)
    directory.write_text(text, encoding="utf-8")
    return dst


@pytest.fixture
def env(tmp_path: Path):
    rules = write_rules(tmp_path / "rules")
    holder = {"policy": load_policy(rules)}
    store = open_store(None, tmp_path / "data")
    service = PortalService(PortalStore(store), store, lambda: holder["policy"], lambda: rules).start()
    yield service, holder, rules, store
    service.stop()
    store.close()


class Dom(HTMLParser):
    """The elements and text of a page, as a browser's parser sees them."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def inputs(self) -> dict[str, str]:
        return {a["name"]: a.get("value") or "" for t, a in self.tags if t == "input" and a.get("name")}


def get(service: PortalService, path: str, user: str | None) -> tuple[int, dict, str]:
    status, headers, body = service.handle(PortalRequest("GET", path, {}, b"", user))
    return status, headers, body.decode()


def post(
    service: PortalService, path: str, user: str | None, fields: dict[str, str]
) -> tuple[int, dict, str]:
    body = urlencode(fields).encode()
    headers = {"content-type": "application/x-www-form-urlencoded"}
    status, h, out = service.handle(PortalRequest("POST", path, headers, body, user))
    return status, h, out.decode()


def csrf(service: PortalService, path: str, user: str) -> str:
    status, _, html = get(service, path, user)
    assert status == 200, html
    return Dom(html).inputs()["csrf"]


def portal_records(store) -> list:
    store.flush(10)
    return [i for i in store.query(IncidentFilter()) if i.decision == "portal"]


# ------------------------------------------------------------------------------- policy decisions
def test_policy_statuses_warn_and_validation(env) -> None:
    _, holder, _, _ = env
    policy = holder["policy"]
    mistral = policy.catalog.get("mistral-api")
    le_chat = policy.catalog.get("le-chat")
    d = policy.decide(mistral, (), None)
    assert (d.action, d.code, d.rule_id) == (
        "warn",
        "justification_required",
        "outil:mistral-api:avertissement",
    )
    d = policy.decide(le_chat, (), None)
    assert (d.action, d.code, d.rule_id) == (
        "validate",
        "validation_required",
        "outil:le-chat:validation-manager",
    )
    assert policy.intercepts("ia.portail") and policy.portal.host == "ia.portail"
    assert policy.directory.roles.manages("PMoreau", "lpetit")
    assert not policy.directory.roles.manages("lpetit", "pmoreau")


def test_data_rule_warn_is_reported_not_redacted() -> None:
    class Rule:
        def __init__(self, id, entities, action):  # noqa: A002
            self.id, self.entities, self.action, self.min_score = id, entities, action, 0.5

    class F:
        def __init__(self, t):
            self.entity_type, self.start, self.end, self.score = t, 0, 3, 0.9

    d = decide_data([Rule("clients-externes", ("CLIENT_NAME",), "warn")], [[F("CLIENT_NAME")]])
    assert d.action == "allow" and d.warn_rule_ids == ("donnees:clients-externes",)
    assert d.warn_counts == {"CLIENT_NAME": 1}


def test_gates_fail_closed_without_view_and_spare_company_tools(env) -> None:
    service, *_ = env
    assert tool_gate(None, "lpetit", "mistral-api", "eu", "warn", "r") == ("justification_required", "r")
    assert tool_gate(None, "lpetit", "le-chat", "eu", "validate", "r") == ("validation_required", "r")
    assert data_gate(None, "lpetit", "x", ["donnees:a"]) == "donnees:a"
    assert tool_gate(service.view, "lpetit", "openai-api", "outside_eu", "allow", "r") is None


# ------------------------------------------------------------------------------- coaching
def test_justify_then_proceed_and_recorded_in_chain(env) -> None:
    service, _, _, store = env
    rule = "outil:mistral-api:avertissement"
    assert tool_gate(service.view, "lpetit", "mistral-api", "eu", "warn", rule) is not None
    token = csrf(service, "/justifier?outil=mistral-api&regle=" + rule, "lpetit")
    status, headers, _ = post(
        service,
        "/justifier",
        "lpetit",
        {
            "csrf": token,
            "outil": "mistral-api",
            "regle": rule,
            "texte": "Traduction d'une offre publique",
            "retour": "https://api.mistral.ai/v1/chat/completions",
        },
    )
    assert status == 303 and headers["location"] == "https://api.mistral.ai/v1/chat/completions"
    assert tool_gate(service.view, "LPetit", "mistral-api", "eu", "warn", rule) is None
    assert tool_gate(service.view, "jbernard", "mistral-api", "eu", "warn", rule) is not None
    records = portal_records(store)
    assert [(r.user, r.code, r.tool) for r in records] == [("lpetit", "justification", "mistral-api")]
    assert store.verify().ok


def test_return_url_only_to_intercepted_ai_hosts(env) -> None:
    _, holder, _, _ = env
    policy = holder["policy"]
    assert valid_return("https://chatgpt.com/c/1", policy) == "https://chatgpt.com/c/1"
    for bad in (
        "https://evil.example/",
        "javascript:alert(1)",
        "https://chatgpt.com@evil.example/",
        "https://ia.portail/",
        "//evil.example/",
        "https://chatgpt.com/?q=secret",
    ):
        assert valid_return(bad, policy) == ""


# ------------------------------------------------------------------------------- security
def test_missing_auth_is_refused(env) -> None:
    service, *_ = env
    for path in ("/", "/historique", "/acces", "/adoption"):
        assert get(service, path, None)[0] == 401
    assert post(service, "/justifier", None, {"texte": "x"})[0] == 401


def test_forged_missing_or_foreign_csrf_token_is_refused(env) -> None:
    service, *_ = env
    fields = {
        "outil": "mistral-api",
        "regle": "outil:mistral-api:avertissement",
        "texte": "un usage légitime",
    }
    other = csrf(service, "/adoption/demander", "jbernard")
    for token in (None, "", "1.abc", other, other[:-1] + ("0" if other[-1] != "0" else "1")):
        data = dict(fields) if token is None else {**fields, "csrf": token}
        status, _, html = post(service, "/justifier", "lpetit", data)
        assert status == 403, token
        assert "Jeton de formulaire invalide" in html
    assert service.store.justifications("lpetit") == []


def test_employee_cannot_approve_own_or_another_teams_request(env) -> None:
    service, *_ = env
    token = csrf(service, "/acces/demander?outil=le-chat", "lpetit")
    status, _, _ = post(
        service,
        "/acces/demander",
        "lpetit",
        {"csrf": token, "outil": "le-chat", "usage": "Rédaction de propositions", "duree": "30"},
    )
    assert status == 303
    (req,) = service.store.requests(kind="validation")
    assert req.manager == "pmoreau"
    # the requester, the manager of another team, a referent who manages no one, a forged role field
    for user in ("lpetit", "cmartin", "jbernard"):
        token = csrf(service, "/adoption/demander", user)
        fields = {
            "csrf": token,
            "demande": str(req.id),
            "decision": "approve",
            "role": "manager",
            "manager": user,
            "user": "pmoreau",
        }
        assert post(service, "/acces/decider", user, fields)[0] == 403, user
    assert get(service, "/equipe", "lpetit")[0] == 403
    assert "lpetit" not in get(service, "/equipe", "cmartin")[2]  # another team's manager does not see it
    assert not service.view.granted("lpetit", "le-chat")
    # the manager approves: the grant applies at once
    token = csrf(service, "/equipe", "pmoreau")
    assert (
        post(
            service,
            "/acces/decider",
            "pmoreau",
            {"csrf": token, "demande": str(req.id), "decision": "approve", "commentaire": "OK pour 30 jours"},
        )[0]
        == 303
    )
    assert service.view.granted("lpetit", "le-chat")
    assert tool_gate(service.view, "lpetit", "le-chat", "eu", "validate", "r") is None
    # a second decision on the same request is refused
    assert (
        post(
            service,
            "/acces/decider",
            "pmoreau",
            {"csrf": token, "demande": str(req.id), "decision": "refuse"},
        )[0]
        == 409
    )
    # referents see all grants and can revoke
    assert get(service, "/acces", "lpetit")[0] == 403
    status, _, html = get(service, "/acces", "cmartin")
    assert status == 200 and "lpetit" in html
    (grant,) = service.store.grants(active=True)
    token = csrf(service, "/acces", "cmartin")
    assert post(service, "/acces/revoquer", "cmartin", {"csrf": token, "acces": str(grant.id)})[0] == 303
    assert not service.view.granted("lpetit", "le-chat")


def test_history_is_ones_own_and_user_text_is_escaped_in_the_dom(env) -> None:
    service, *_ = env
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)> justification'
    for user in ("lpetit", "jbernard"):
        token = csrf(service, "/adoption/demander", user)
        status, _, html = post(
            service,
            "/justifier",
            user,
            {
                "csrf": token,
                "outil": "mistral-api",
                "regle": "outil:mistral-api:avertissement",
                "texte": f"{payload} de {user}",
            },
        )
        assert status == 303, html
    # a user= query or form field does not change whose history is shown
    status, _, html = get(service, "/historique?user=jbernard", "lpetit")
    assert status == 200
    dom = Dom(html)
    assert not [t for t, _ in dom.tags if t in ("script", "img")]
    text = "".join(dom.text)
    assert f"{payload} de lpetit" in text and "de jbernard" not in text


def test_unknown_paths_and_traversal_are_not_found(env) -> None:
    service, *_ = env
    for path in (
        "/../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/static/../../rules/policy.yaml",
        "/acces/../../../etc/passwd",
        "/adoption/demande/1",
    ):
        status, _, html = get(service, path, "cmartin")
        assert status == 404, path
        assert "root:" not in html


# ------------------------------------------------------------------------------- adoption (4 steps)
def step(service, referent: str, req_id: int, name: str, decision: str = "accepted", **extra: str) -> tuple:
    token = csrf(service, "/adoption/demander", referent)
    fields = {
        "csrf": token,
        "demande": str(req_id),
        "etape": name,
        "decision": decision,
        "nom": f"Signataire {name}",
        "date": "2026-12-01",
        "commentaire": f"ok {name}",
        **extra,
    }
    return post(service, "/adoption/etape", referent, fields)


def approve(service, referent: str, req_id: int) -> tuple:
    (change,) = service.store.changes(request_id=req_id, status="proposed")
    token = csrf(service, "/adoption/demander", referent)
    return post(
        service,
        "/adoption/approuver",
        referent,
        {"csrf": token, "modification": str(change.id), "decision": "approve"},
    )


def test_adoption_walks_four_steps_and_rewrites_the_policy(env) -> None:
    service, holder, rules, _ = env
    token = csrf(service, "/adoption/demander?outil=perplexity-web", "lpetit")
    assert (
        post(
            service,
            "/adoption/demander",
            "lpetit",
            {
                "csrf": token,
                "outil": "perplexity-web",
                "usage": "Veille concurrentielle",
                "donnees": "sources publiques",
                "equipe": "commercial",
            },
        )[0]
        == 303
    )
    (req,) = service.store.requests(kind="adoption")
    assert get(service, "/adoption", "lpetit")[0] == 403
    assert step(service, "lpetit", req.id, "legal")[0] == 403  # not a referent
    assert step(service, "slefevre", req.id, "it")[0] == 409  # not the current step
    assert step(service, "slefevre", req.id, "legal")[0] == 303
    assert step(service, "cmartin", req.id, "it")[0] == 303
    before = (rules / "policy.yaml").read_text(encoding="utf-8")
    status, _, html = step(service, "cmartin", req.id, "pilot", groupe="pilote-ia", fin="2027-03-01")
    assert status == 303, html
    assert (rules / "policy.yaml").read_text(encoding="utf-8") == before  # not before a second referent
    # the page shows the policy diff; the proposer cannot approve their own change
    status, _, html = get(service, f"/adoption/demande?n={req.id}", "slefevre")
    assert "Perplexity" in html and "pilote-ia" in html
    assert "sources publiques" in html and "user_key" not in html  # the "data" column, not the row
    assert approve(service, "cmartin", req.id)[0] == 403
    assert approve(service, "slefevre", req.id)[0] == 303
    policy = load_policy(rules)  # what the proxy's watcher reloads
    tool = policy.tool_policy("perplexity-web")
    assert (tool.status, tool.groups) == ("pilot", ("pilote-ia",))
    assert policy.version == "2026.4.1" and "pilote-ia" in policy.changelog[0].changes[0]
    assert "# Politique d'utilisation" in (rules / "policy.yaml").read_text(encoding="utf-8")  # comments kept
    holder["policy"] = policy
    assert step(service, "slefevre", req.id, "rollout")[0] == 303
    assert approve(service, "jbernard", req.id)[0] == 303
    policy = load_policy(rules)
    assert policy.tool_policy("perplexity-web").status == "approved" and policy.version == "2026.4.2"
    assert service.store.request(req.id).status == "done"
    assert [s.step for s in service.store.steps(req.id)] == ["legal", "it", "pilot", "rollout"]


# ------------------------------------------------------------------------------- sanctions
def test_sanctions_ladder_reminder_then_suspension(env) -> None:
    service, holder, _, _ = env
    ladder = holder["policy"].sanctions
    assert (ladder.reminder_after, ladder.suspension_after) == (3, 5)
    for _ in range(3):
        service.store.add_strike("lpetit", "sensitive_data", ladder)
    service.view.refresh()
    assert tool_gate(service.view, "lpetit", "openai-api", "outside_eu", "allow", "r") == (
        "reminder_required",
        "sanction:rappel",
    )
    sanction_id = service.view.reminder("lpetit")
    # another user cannot acknowledge it
    token = csrf(service, "/adoption/demander", "jbernard")
    assert (
        post(service, "/rappel/accuser", "jbernard", {"csrf": token, "sanction": str(sanction_id)})[0] == 404
    )
    token = csrf(service, "/rappel", "lpetit")
    assert post(service, "/rappel/accuser", "lpetit", {"csrf": token, "sanction": str(sanction_id)})[0] == 303
    assert service.view.reminder("lpetit") is None
    for _ in range(2):
        service.store.add_strike("lpetit", "sensitive_data", ladder)
    service.view.refresh()
    assert (
        tool_gate(service.view, "lpetit", "openai-api", "outside_eu", "allow", "r")[0] == "access_suspended"
    )
    assert tool_gate(service.view, "lpetit", "llm-interne", "company", "allow", "r") is None
    # security sees the list only once a referent confirms; a referent lifts
    (susp,) = service.store.sanctions("lpetit", status="active")
    assert get(service, "/sanctions", "lpetit")[0] == 403
    token = csrf(service, "/adoption/demander", "mroux")
    assert (
        post(
            service,
            "/sanctions/decider",
            "mroux",
            {"csrf": token, "sanction": str(susp.id), "action": "lifted"},
        )[0]
        == 403
    )
    token = csrf(service, "/sanctions", "cmartin")
    assert (
        post(
            service,
            "/sanctions/decider",
            "cmartin",
            {"csrf": token, "sanction": str(susp.id), "action": "confirmed"},
        )[0]
        == 303
    )
    status, _, html = get(service, "/sanctions", "mroux")
    assert status == 200 and "Suivi disciplinaire" in html and "lpetit" in html
    assert service.view.suspended("lpetit")  # confirmed: still in force
    assert (
        post(
            service,
            "/sanctions/decider",
            "cmartin",
            {"csrf": token, "sanction": str(susp.id), "action": "lifted"},
        )[0]
        == 303
    )
    assert not service.view.suspended("lpetit")


# ------------------------------------------------------------------------------- CLI and listener
def test_cli_lists_revokes_and_lifts(env, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from dlp_proxy.cli import main

    service, holder, rules, store = env
    req_id = service.store.add_request(
        "validation", "lpetit", "le-chat", "Propositions", days=5, manager="pmoreau"
    )
    grant_id = service.store.decide_validation(req_id, "pmoreau", True, "ok", 90)
    ladder = holder["policy"].sanctions
    for _ in range(ladder.suspension_after):
        service.store.add_strike("lpetit", "sensitive_data", ladder)
    store.flush(10)
    data = ["--data-dir", str(tmp_path / "data")]
    assert main(["grants", "list", "--active", "--json", *data]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert json.loads(line)["username"] == "lpetit" and json.loads(line)["granted_by"] == "pmoreau"
    assert main(["requests", "show", str(req_id), *data]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "approved"
    assert main(["grants", "revoke", str(grant_id), "--by", "lpetit", "--rules", str(rules), *data]) == 2
    assert main(["grants", "revoke", str(grant_id), "--by", "cmartin", "--rules", str(rules), *data]) == 0
    assert main(["grants", "revoke", str(grant_id), "--by", "cmartin", "--rules", str(rules), *data]) == 1
    capsys.readouterr()
    assert main(["sanctions", "list", "--status", "active", "--json", *data]) == 0
    sanctions = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [s["level"] for s in sanctions] == ["suspension", "reminder"]
    assert (
        main(["sanctions", "lift", str(sanctions[0]["id"]), "--by", "slefevre", "--rules", str(rules), *data])
        == 0
    )
    service.view.refresh()
    assert not service.view.suspended("lpetit") and not service.view.granted("lpetit", "le-chat")
    codes = [r.code for r in portal_records(store)]
    assert "grant_revoked" in codes and "sanction_lifted" in codes


def test_direct_listener_https_basic_auth_against_htpasswd(env, tmp_path: Path) -> None:
    import base64
    import ssl
    import urllib.error
    import urllib.request

    import bcrypt
    from mitmproxy.utils.htpasswd import HtpasswdFile

    from dlp_proxy.portal.server import PortalServer, tls_files

    service, *_ = env
    htpasswd = HtpasswdFile(f"cmartin:{bcrypt.hashpw(b'secret-cm', bcrypt.gensalt(4)).decode()}\n")
    cert, key = tls_files(tmp_path / "conf", "127.0.0.1")
    server = PortalServer(
        lambda: service, lambda: htpasswd.check_password, "127.0.0.1", 0, (cert, key)
    ).start()
    ctx = ssl.create_default_context(cafile=str(tmp_path / "conf" / "mitmproxy-ca-cert.pem"))
    url = f"https://127.0.0.1:{server.port}/acces"

    def fetch(user: str | None, password: str = "") -> tuple[int, str]:
        request = urllib.request.Request(url)
        if user:
            token = base64.b64encode(f"{user}:{password}".encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        try:
            with urllib.request.urlopen(request, context=ctx, timeout=5) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    try:
        assert fetch(None)[0] == 401
        assert fetch("cmartin", "wrong")[0] == 401
        status, html = fetch("cmartin", "secret-cm")
        assert status == 200 and "Accès accordés" in html
    finally:
        server.stop()


# ------------------------------------------------------------------------------- replicas on PostgreSQL
def test_two_replicas_on_postgresql_see_grants_and_suspensions_within_two_seconds(tmp_path: Path) -> None:
    """Two portals (two proxies' worth: own store, own connection, own view) on one PostgreSQL schema."""
    import os
    import time
    import uuid

    import psycopg

    dsn = os.environ.get("DLP_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
    schema = f"portal_{uuid.uuid4().hex[:10]}"
    url = dsn + ("&" if "?" in dsn else "?") + f"schema={schema}"
    rules = write_rules(tmp_path / "rules")
    policy = load_policy(rules)
    replicas = []
    try:
        for name in ("a", "b"):
            store = open_store(url, tmp_path / name, replica=name)
            service = PortalService(PortalStore(store), store, lambda: policy, lambda: rules).start()
            replicas.append((service, store))
        (a, store_a), (b, _) = replicas
        assert a.store.secret == b.store.secret  # one CSRF key: a form from one replica posts to the other
        token = csrf(a, "/acces/demander?outil=le-chat", "lpetit")
        assert (
            post(
                b,
                "/acces/demander",
                "lpetit",
                {"csrf": token, "outil": "le-chat", "usage": "x", "duree": "3"},
            )[0]
            == 303
        )
        (req,) = a.store.requests(kind="validation")
        token = csrf(a, "/equipe", "pmoreau")
        assert (
            post(
                a, "/acces/decider", "pmoreau", {"csrf": token, "demande": str(req.id), "decision": "approve"}
            )[0]
            == 303
        )
        t0 = time.monotonic()
        while not b.view.granted("lpetit", "le-chat"):
            assert time.monotonic() - t0 < 2.0, "grant not seen by the other replica within 2 s"
            time.sleep(0.05)
        for _ in range(policy.sanctions.suspension_after):
            a.store.add_strike("jbernard", "sensitive_data", policy.sanctions)
        t0 = time.monotonic()
        while not b.view.suspended("jbernard"):
            assert time.monotonic() - t0 < 2.0, "suspension not seen by the other replica within 2 s"
            time.sleep(0.05)
        store_a.flush(10)
        assert store_a.verify().ok
    finally:
        for service, store in replicas:
            service.stop()
            store.close()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


# ------------------------------------------------------------------------------- quarterly report
def test_report_section_counts_requests_and_escapes_justifications(env) -> None:
    from datetime import date, timedelta

    from dlp_proxy.report import build_report, render_html

    service, holder, _, store = env
    payload = "<script>alert('rapport')</script> veille publique"
    service.store.add_justification("lpetit", "mistral-api", "outil:mistral-api:avertissement", payload, 8)
    req_id = service.store.add_request(
        "validation", "lpetit", "le-chat", "Propositions", days=5, manager="pmoreau"
    )
    service.store.decide_validation(req_id, "pmoreau", True, "ok", 90)
    service.store.add_request("adoption", "lpetit", "perplexity-web", "Veille", data="publiques", team="com")
    store.flush(10)
    today = date.today()
    report = build_report(store, holder["policy"], today - timedelta(days=7), today, verify_chain=True)
    figures = report.extra["portal"]
    assert figures.opened == {"validation": 1, "adoption": 1} and figures.decided == {"validation": 1}
    assert [s.step for s in figures.steps] == ["manager"]
    assert report.total == 0  # portal actions are in the chain, not counted as incidents
    html = render_html(report)
    dom = Dom(html)
    assert not [t for t, _ in dom.tags if t == "script"]
    assert payload in "".join(dom.text) and "lpetit" not in html


# ------------------------------------------------------------------------------- the pipeline's gates
def _view_justifying(user: str, tool: str, rule: str):
    from datetime import UTC, datetime, timedelta

    from dlp_proxy.portal.view import WorkflowView, snapshot_of

    view = WorkflowView()
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat(timespec="microseconds")
    view.snapshot = snapshot_of({"justifications": [(user, tool, rule, later)]})
    return view


def test_model_warn_asks_for_a_justification_before_any_scan(tmp_path: Path) -> None:
    import asyncio

    from dlp_proxy.pipeline import Block, evaluate_request, new_context
    from dlp_proxy.pseudonyms import VaultRegistry
    from tests.test_pipeline import chat

    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    text = (rules / "policy.yaml").read_text(encoding="utf-8")
    (rules / "policy.yaml").write_text(
        text.replace('deny: ["o1-pro*"]', 'deny: ["o1-pro*"]\n      warn: ["gpt-4o*"]', 1), encoding="utf-8"
    )
    policy = load_policy(rules)
    rc = new_context("api.openai.com", policy.catalog.services["openai-api"])
    rc.user = "lpetit"
    verdict = asyncio.run(evaluate_request(rc, chat("Bonjour"), policy, None, VaultRegistry(), None))
    assert isinstance(verdict, Block)
    assert (verdict.code, verdict.rule_id) == (
        "justification_required",
        "modele:openai-api:avertissement:gpt-4o*",
    )


@pytest.mark.model
def test_data_rule_warn_blocks_until_justified_then_sends(tmp_path: Path, engine) -> None:
    import asyncio

    from dlp_proxy.pipeline import Allow, Block, evaluate_request, new_context
    from dlp_proxy.pseudonyms import VaultRegistry
    from tests.test_pipeline import EMAIL, EngineScanner, chat, rules_with

    policy = rules_with(tmp_path, "mistral-api", "    data: {EMAIL_ADDRESS: warn}\n").policy
    request = chat(f"Écris un mot de remerciement à {EMAIL}.")

    def run(view):
        rc = new_context("api.mistral.ai", policy.catalog.services["mistral-api"])
        rc.user = "lpetit"
        return asyncio.run(
            evaluate_request(rc, request, policy, EngineScanner(engine), VaultRegistry(), view)
        )

    verdict = run(None)
    assert isinstance(verdict, Block) and verdict.code == "justification_required"
    assert verdict.rule_id == "donnees:outil:EMAIL_ADDRESS" and EMAIL not in (verdict.detail or "")
    assert isinstance(run(_view_justifying("lpetit", "mistral-api", "donnees:outil:EMAIL_ADDRESS")), Allow)
    assert isinstance(run(_view_justifying("jbernard", "mistral-api", "donnees:outil:EMAIL_ADDRESS")), Block)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_interstitials_for_each_portal_code(env, language: str) -> None:
    from dataclasses import replace

    service, holder, _, _ = env
    holder["policy"] = replace(holder["policy"], language=language)
    ladder = holder["policy"].sanctions
    for _ in range(ladder.reminder_after):
        service.store.add_strike("lpetit", "sensitive_data", ladder)
    service.view.refresh()
    pages = {}
    for code, tool, rule in (
        ("justification_required", "mistral-api", "outil:mistral-api:avertissement"),
        ("validation_required", "le-chat", "outil:le-chat:validation-manager"),
        ("reminder_required", "openai-api", "sanction:rappel"),
        ("access_suspended", "openai-api", "sanction:suspension"),
    ):
        status, headers, body = service.interstitial(
            "lpetit", tool, tool, code, rule, "https://api.mistral.ai/v1/x?q=<secret>"
        )
        html = body.decode()
        assert status == 403 and "frame-ancestors 'none'" in headers["content-security-policy"]
        assert "&lt;secret&gt;" not in html and "<secret>" not in html  # the query is never echoed
        pages[code] = Dom(html)
    form = pages["justification_required"].inputs()
    assert form["retour"] == "https://api.mistral.ai/v1/x" and service.csrf_ok("lpetit", form["csrf"])
    assert "sanction" in pages["reminder_required"].inputs()
    text = "".join(pages["validation_required"].text)
    assert ("validation du manager" if language == "fr" else "manager's validation") in text
    assert "pmoreau" in text
    assert service.interstitial(None, "x", "x", "justification_required", "r", "") is None
    assert service.interstitial("lpetit", "x", "x", "tool_forbidden", "r", "") is None


def test_policy_sections_are_checked(tmp_path: Path) -> None:
    from dlp_proxy.errors import ConfigError

    rules = write_rules(tmp_path / "rules")
    text = (rules / "policy.yaml").read_text(encoding="utf-8")
    broken = text.replace("host: ia.portail", "host: 'ia portail'").replace(
        "suspension_after: 5", "suspension_after: 2"
    )
    (rules / "policy.yaml").write_text(broken, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_policy(rules)
    messages = [p.message for p in info.value.problems]
    assert any("portal.host" in m for m in messages)
    assert any("sanctions.suspension_after: must be greater than reminder_after" in m for m in messages)


@pytest.mark.model
def test_data_rule_validation_manager_needs_a_grant_for_the_tool(tmp_path: Path, engine) -> None:
    """A use that needs the manager's validation: client data (here an e-mail) sent to a tool."""
    import asyncio
    from datetime import UTC, datetime, timedelta

    from dlp_proxy.pipeline import Allow, Block, evaluate_request, new_context
    from dlp_proxy.portal.view import WorkflowView, snapshot_of
    from dlp_proxy.pseudonyms import VaultRegistry
    from tests.test_pipeline import EMAIL, EngineScanner, chat, rules_with

    policy = rules_with(tmp_path, "mistral-api", "    data: {EMAIL_ADDRESS: validation_manager}\n").policy
    request = chat(f"Écris un mot de remerciement à {EMAIL}.")
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat(timespec="microseconds")

    def run(grants):
        view = WorkflowView()
        view.snapshot = snapshot_of({"grants": grants})
        rc = new_context("api.mistral.ai", policy.catalog.services["mistral-api"])
        rc.user = "lpetit"
        return asyncio.run(
            evaluate_request(rc, request, policy, EngineScanner(engine), VaultRegistry(), view)
        )

    verdict = run([])
    assert isinstance(verdict, Block) and verdict.code == "validation_required"
    assert verdict.rule_id == "donnees:outil:EMAIL_ADDRESS"
    assert isinstance(run([("lpetit", "mistral-api", later)]), Allow)
    assert isinstance(run([("jbernard", "mistral-api", later)]), Block)


def test_refusals_counted_in_the_background_and_never_raise_after_stop(env) -> None:
    import time

    service, *_ = env
    for _ in range(3):
        service.note_block("lpetit", "sensitive_data")
        service.note_block("lpetit", "tool_forbidden")  # not a code the ladder counts
    deadline = time.monotonic() + 5
    while service.view.reminder("lpetit") is None:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    (reminder,) = service.store.sanctions("lpetit")
    assert reminder.strikes == 3
    service.view.stop()
    service._background.shutdown(wait=True)
    service.note_block("lpetit", "sensitive_data")  # logged, not raised


def test_fleet_replicas_write_the_approved_policy_into_their_own_rules(tmp_path: Path) -> None:
    """policy_sync: a change approved on replica A reaches replica B's own rules directory (PostgreSQL)."""
    import os
    import time
    import uuid

    import psycopg

    dsn = os.environ.get("DLP_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
    schema = f"portal_{uuid.uuid4().hex[:10]}"
    url = dsn + ("&" if "?" in dsn else "?") + f"schema={schema}"
    replicas = []
    try:
        for name in ("a", "b"):
            rules = write_rules(tmp_path / name / "rules")
            text = (rules / "policy.yaml").read_text(encoding="utf-8")
            (rules / "policy.yaml").write_text(
                text.replace("  policy_sync: false", "  policy_sync: true", 1),
                encoding="utf-8",
            )
            holder = {"policy": load_policy(rules)}
            assert holder["policy"].portal.policy_sync
            store = open_store(url, tmp_path / name / "data", replica=name)
            service = PortalService(
                PortalStore(store), store, lambda h=holder: h["policy"], lambda r=rules: r
            )
            replicas.append((service.start(), store, rules))
        (a, _, rules_a), (b, _, rules_b) = replicas
        before_b = (rules_b / "policy.yaml").read_text(encoding="utf-8")
        token = csrf(a, "/adoption/demander", "lpetit")
        fields = {"outil": "perplexity-web", "usage": "Veille", "donnees": "publiques", "equipe": "com"}
        assert post(a, "/adoption/demander", "lpetit", {"csrf": token, **fields})[0] == 303
        (req,) = a.store.requests(kind="adoption")
        for referent, name in (("slefevre", "legal"), ("cmartin", "it")):
            assert step(a, referent, req.id, name)[0] == 303
        assert step(a, "cmartin", req.id, "pilot", groupe="pilote-ia", fin="2027-03-01")[0] == 303
        assert approve(b, "slefevre", req.id)[0] == 303  # approved on B: written in B's directory
        assert (rules_b / "policy.yaml").read_text(encoding="utf-8") != before_b
        t0 = time.monotonic()
        while load_policy(rules_a).tool_policy("perplexity-web").status != "pilot":
            assert time.monotonic() - t0 < 3.0, "replica A did not write the approved policy"
            time.sleep(0.1)
        assert (rules_a / "policy.yaml").read_text(encoding="utf-8") == (rules_b / "policy.yaml").read_text(
            encoding="utf-8"
        )
    finally:
        for service, store, _ in replicas:
            service.stop()
            store.close()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_without_policy_sync_hand_edits_are_never_overwritten(env) -> None:
    service, _, rules, _ = env
    text = (rules / "policy.yaml").read_text(encoding="utf-8")
    service.store.publish_policy(
        "0" * 64, text.replace('version: "2026.4"', 'version: "2099.1"', 1), "cmartin"
    )
    assert service.policy_sync.tick() is False
    assert (rules / "policy.yaml").read_text(encoding="utf-8") == text


def test_direct_listener_from_the_options_reads_the_proxyauth_validator_at_each_request(tmp_path) -> None:
    from types import SimpleNamespace

    from dlp_proxy.portal.runtime import PortalSupervisor

    supervisor = PortalSupervisor(lambda: None, lambda: None)
    calls: list[tuple] = []
    supervisor.listen = lambda *args: calls.append(args)  # type: ignore[method-assign]
    opts = SimpleNamespace(dlp_portal_host="0.0.0.0", dlp_portal_port=8443, confdir="~/.mitmproxy")
    auth = SimpleNamespace(validator=None)
    supervisor.listen_on(opts, auth)
    ((host, port, validator, confdir),) = calls
    assert (host, port, confdir) == ("0.0.0.0", 8443, Path("~/.mitmproxy").expanduser())
    assert validator() is None
    auth.validator = check = lambda user, password: True
    assert validator() is check  # proxyauth changed after start-up: applies at once
    supervisor.listen_on(opts, None)  # no proxyauth addon: no validator, every login refused
    assert calls[-1][2]() is None
