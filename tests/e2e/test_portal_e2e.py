"""The AI portal end to end: a real ``dlp-proxy run`` with htpasswd users, real headless Chromium
(Debian's ``chromium``, driven by Playwright's Python package with that binary), the real openai SDK.

- an employee hits a ``warn`` tool, justifies in the interstitial, proceeds;
- an employee asks for a ``validation_manager`` tool, the manager (another proxy user) approves in the
  portal, the employee's next request passes — in the browser and with the openai SDK, whose 403
  message carries the portal link;
- a referent walks an adoption request through the 4 steps (a second referent approves each policy
  change), and the running proxy reloads the policy: the tool is in pilot for the group, then approved.

Screenshots of each page go to ``$DLP_PORTAL_SCREENSHOTS`` (default: the test's temporary directory).
"""

from __future__ import annotations

import io
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import bcrypt
import openai
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from ruamel.yaml import YAML

from tests.e2e.conftest import ProxyProcess, copy_rules, free_port, start_proxy
from tests.e2e.fakeprovider import FakeProvider

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
USERS = {
    "lpetit": "Lp-mot-de-passe-1",
    "pmoreau": "Pm-mot-de-passe-2",
    "cmartin": "Cm-mot-de-passe-3",
    "slefevre": "Sl-mot-de-passe-4",
    "jbernard": "Jb-mot-de-passe-5",
}


def edit_policy(rules: Path) -> None:
    """chatgpt-web needs a justification, chat.deepseek.com and the OpenAI API the manager's validation."""
    y = YAML(typ="rt")
    path = rules / "policy.yaml"
    doc = y.load(path.read_text(encoding="utf-8"))
    tools = doc["tools"]
    tools["chatgpt-web"] = {"status": "warn", "reason": "Usage encadré : dites pourquoi vous en avez besoin."}
    tools["deepseek-chat"] = {"status": "validation_manager", "reason": "Soumis à la validation du manager."}
    tools["openai-api"]["status"] = "validation_manager"
    out = io.StringIO()
    y.dump(doc, out)
    path.write_text(out.getvalue(), encoding="utf-8")


@pytest.fixture(scope="module")
def portal_proxy(tmp_path_factory: pytest.TempPathFactory, provider: FakeProvider) -> Iterator[ProxyProcess]:
    tmp = tmp_path_factory.mktemp("portal")
    rules = copy_rules(tmp / "rules")
    edit_policy(rules)
    htpasswd = tmp / "htpasswd"
    htpasswd.write_text(
        "".join(f"{u}:{bcrypt.hashpw(p.encode(), bcrypt.gensalt(4)).decode()}\n" for u, p in USERS.items())
    )
    extra = [
        "--set",
        f"proxyauth=@{htpasswd}",
        "--set",
        f"map_remote=|https://www\\.perplexity\\.ai/|http://127.0.0.1:{provider.port}/web/",
        "--set",
        "dlp_watch_seconds=0.5",
        "--set",
        "dlp_workers=1",
        "--set",
        f"dlp_portal_port={free_port()}",
    ]
    p = start_proxy(tmp / "run", provider, rules=rules, extra=extra)
    p.rules = rules  # type: ignore[attr-defined]
    yield p
    p.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "Debian's chromium package is required (.ci/run installs it)"
    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-background-networking"]
        )
        yield b
        b.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = Path(os.environ.get("DLP_PORTAL_SCREENSHOTS") or tmp_path_factory.mktemp("shots"))
    where.mkdir(parents=True, exist_ok=True)
    return where


def as_user(browser: Browser, proxy: ProxyProcess, user: str) -> BrowserContext:
    # The proxy's CA is what IT distributes; here the browser is told to accept it for the test.
    return browser.new_context(
        proxy={"server": proxy.url, "username": user, "password": USERS[user]},
        ignore_https_errors=True,
        locale="fr-FR",
    )


def shot(page: Page, shots: Path, name: str) -> None:
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)


def test_warn_justify_then_proceed_in_chromium(
    portal_proxy: ProxyProcess, browser: Browser, shots: Path
) -> None:
    ctx = as_user(browser, portal_proxy, "lpetit")
    page = ctx.new_page()
    resp = page.goto("https://chatgpt.com/")
    assert resp is not None and resp.status == 403
    assert page.locator("h1").inner_text() == "Justification de l'usage"
    shot(page, shots, "01-interstitiel-justification")
    page.fill("textarea[name=texte]", "<b>Résumé</b> d'un article public pour la veille")
    page.click("button[type=submit]")
    page.wait_for_url("https://chatgpt.com/")
    assert '"ok": true' in page.content() or '"ok":true' in page.content()
    shot(page, shots, "02-apres-justification")
    # the user's text, escaped, in their history (no <b> element from it in the DOM)
    page.goto("https://ia.portail/historique")
    assert page.locator("td", has_text="<b>Résumé</b> d'un article public").count() == 1
    assert page.locator("main b").count() == 0
    shot(page, shots, "03-historique")
    ctx.close()


def request_access_in_browser(page: Page, url: str, shots: Path, name: str) -> None:
    resp = page.goto(url)
    assert resp is not None and resp.status == 403
    assert page.locator("h1").inner_text() == "Demande d'accès"
    shot(page, shots, name)
    page.fill("textarea[name=usage]", "Rédaction de propositions commerciales")
    page.fill("input[name=duree]", "30")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"https://ia\.portail/\?ok=requested"))


def approve_as_manager(browser: Browser, proxy: ProxyProcess, shots: Path, name: str) -> None:
    ctx = as_user(browser, proxy, "pmoreau")
    page = ctx.new_page()
    page.goto("https://ia.portail/equipe")
    shot(page, shots, name)
    page.fill("input[name=commentaire]", "Accordé pour le projet")
    page.click("button[value=approve]")
    page.wait_for_url(re.compile(r"/equipe\?ok=decided"))
    ctx.close()


def test_manager_validation_in_chromium(portal_proxy: ProxyProcess, browser: Browser, shots: Path) -> None:
    ctx = as_user(browser, portal_proxy, "lpetit")
    page = ctx.new_page()
    request_access_in_browser(page, "https://chat.deepseek.com/", shots, "04-demande-acces")
    shot(page, shots, "05-mon-espace")
    # the employee cannot open the manager's page
    assert page.goto("https://ia.portail/equipe").status == 403
    approve_as_manager(browser, portal_proxy, shots, "06-equipe-manager")
    resp = page.goto("https://chat.deepseek.com/")
    assert resp is not None and resp.status == 200
    ctx.close()


def test_openai_sdk_message_has_portal_link_then_passes(
    portal_proxy: ProxyProcess, browser: Browser, shots: Path
) -> None:
    proxy_url = portal_proxy.url.replace("http://", f"http://lpetit:{USERS['lpetit']}@")
    http_client = openai.DefaultHttpxClient(proxy=proxy_url, verify=portal_proxy.ssl_context())
    client = openai.OpenAI(api_key="sk-test-not-a-real-key", http_client=http_client, max_retries=0)
    messages = [{"role": "user", "content": "Bonjour"}]
    with pytest.raises(openai.PermissionDeniedError) as info:
        client.chat.completions.create(model="gpt-4o-mini", messages=messages)
    link = "https://ia.portail/acces/demander?outil=openai-api"
    assert link in str(info.value)
    assert info.value.response.json()["error"]["code"] == "validation_required"
    ctx = as_user(browser, portal_proxy, "lpetit")
    page = ctx.new_page()
    resp = page.goto(link)
    assert resp is not None and resp.status == 200
    page.fill("textarea[name=usage]", "Automatisation des réponses")
    page.fill("input[name=duree]", "10")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"ok=requested"))
    ctx.close()
    approve_as_manager(browser, portal_proxy, shots, "07-equipe-manager-api")
    answer = client.chat.completions.create(model="gpt-4o-mini", messages=messages)
    assert answer.choices[0].message.content


def wait_for_log(proxy: ProxyProcess, needle: str, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while needle not in proxy.logs():
        assert time.monotonic() < deadline, f"{needle!r} not in the proxy's log"
        time.sleep(0.2)


def adoption_step(page: Page, shots: Path, name: str, **fields: str) -> None:
    page.fill("input[name=nom]", fields.pop("nom"))
    page.fill("textarea[name=commentaire]", fields.pop("commentaire", "Conforme"))
    for key, value in fields.items():
        if key == "groupe":
            page.select_option("select[name=groupe]", value)
        else:
            page.fill(f"input[name={key}]", value)
    shot(page, shots, name)
    page.click("button[value=accepted]")
    page.wait_for_url(re.compile(r"ok=(step|proposed)"))


def approve_change(
    browser: Browser, proxy: ProxyProcess, referent: str, req_url: str, shots: Path, name: str
) -> None:
    ctx = as_user(browser, proxy, referent)
    page = ctx.new_page()
    page.goto(req_url)
    assert page.locator("pre").count() == 1  # the policy diff
    shot(page, shots, name)
    page.click("button[value=approve]")
    page.wait_for_url(re.compile(r"ok=applied"))
    ctx.close()


def test_referent_walks_adoption_request_and_policy_reloads(
    portal_proxy: ProxyProcess, browser: Browser, shots: Path
) -> None:
    employee = as_user(browser, portal_proxy, "lpetit")
    page = employee.new_page()
    resp = page.goto("https://www.perplexity.ai/")
    assert resp is not None and resp.status == 403
    shot(page, shots, "08-page-blocage-outil-interdit")
    page.click("text=Demander l'évaluation de cet outil")
    page.wait_for_url(re.compile(r"/adoption/demander\?outil=perplexity-web"))
    page.fill("textarea[name=usage]", "Veille concurrentielle")
    page.fill("input[name=donnees]", "Sources publiques uniquement")
    page.fill("input[name=equipe]", "Commercial")
    shot(page, shots, "09-demande-evaluation")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"ok=adoption"))

    referent = as_user(browser, portal_proxy, "cmartin")
    rp = referent.new_page()
    rp.goto("https://ia.portail/adoption")
    shot(rp, shots, "10-file-referents")
    rp.click("td a")
    req_url = rp.url
    adoption_step(rp, shots, "11-validation-juridique", nom="Sophie Lefèvre")
    adoption_step(rp, shots, "12-validation-informatique", nom="Camille Martin")
    adoption_step(rp, shots, "13-pilote", nom="Camille Martin", groupe="pilote-ia", fin="2027-03-31")
    assert rp.locator("text=Un second référent doit approuver").count() == 1
    approve_change(browser, portal_proxy, "slefevre", req_url, shots, "14-diff-second-referent")
    wait_for_log(portal_proxy, '"version": "2026.4.1"')
    # in pilot: a member of pilote-ia passes, the employee is told it is a pilot
    pilot_member = as_user(browser, portal_proxy, "jbernard")
    deadline = time.monotonic() + 10
    while (status := pilot_member.new_page().goto("https://www.perplexity.ai/").status) != 200:
        assert time.monotonic() < deadline, status
        time.sleep(0.3)
    assert page.goto("https://www.perplexity.ai/").status == 403
    assert "test pilote" in page.content()
    rp.goto(req_url)
    adoption_step(rp, shots, "15-deploiement", nom="Julien Bernard")
    approve_change(browser, portal_proxy, "jbernard", req_url, shots, "16-diff-deploiement")
    wait_for_log(portal_proxy, '"version": "2026.4.2"')
    deadline = time.monotonic() + 10
    while (status := page.goto("https://www.perplexity.ai/").status) != 200:
        assert time.monotonic() < deadline, status
        time.sleep(0.3)
    rp.goto(req_url)
    shot(rp, shots, "17-demande-terminee")
    text = (portal_proxy.rules / "policy.yaml").read_text(encoding="utf-8")  # type: ignore[attr-defined]
    assert "perplexity-web:" in text and 'version: "2026.4.2"' in text
    for c in (employee, referent, pilot_member):
        c.close()


NIR = "1 85 05 78 006 084 91"


def refused_for_data(proxy: ProxyProcess, user: str, times: int) -> None:
    """Real refusals for sensitive data (a NIR sent to the Mistral API), counted by the sanctions ladder."""
    import httpx

    url = proxy.url.replace("http://", f"http://{user}:{USERS[user]}@")
    with httpx.Client(proxy=url, verify=proxy.ssl_context()) as c:
        for _ in range(times):
            body = {
                "model": "mistral-small",
                "messages": [{"role": "user", "content": f"Mon NIR est {NIR}."}],
            }
            r = c.post("https://api.mistral.ai/v1/chat/completions", json=body)
            assert r.status_code == 403 and r.json()["error"]["code"] == "sensitive_data"


def test_sanctions_reminder_then_suspension_pages_in_chromium(
    portal_proxy: ProxyProcess, browser: Browser, shots: Path
) -> None:
    refused_for_data(portal_proxy, "slefevre", 3)
    ctx = as_user(browser, portal_proxy, "slefevre")
    page = ctx.new_page()
    deadline = time.monotonic() + 5
    while True:  # the ladder counts in the background
        resp = page.goto("https://api.anthropic.com/")
        if "Rappel de la politique IA" in page.content() or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert resp is not None and resp.status == 403
    assert page.locator("h1").inner_text() == "Rappel de la politique IA"
    shot(page, shots, "18-rappel")
    page.click("button[type=submit]")
    page.wait_for_url("https://api.anthropic.com/")
    refused_for_data(portal_proxy, "slefevre", 2)
    deadline = time.monotonic() + 5
    while "Accès suspendu" not in page.content():
        assert time.monotonic() < deadline, page.content()[:500]
        page.goto("https://api.anthropic.com/")
        time.sleep(0.2)
    shot(page, shots, "19-acces-suspendu")
    assert page.goto("https://llm.interne.example.fr/").status == 200  # company-hosted: still works
    page.goto("https://ia.portail/historique")
    assert page.locator("li", has_text="suspension").count() == 1
    shot(page, shots, "20-historique-sanctions")
    ctx.close()
    referent = as_user(browser, portal_proxy, "cmartin")
    rp = referent.new_page()
    rp.goto("https://ia.portail/sanctions")
    shot(rp, shots, "21-sanctions-referent")
    rp.click("button[value=lifted] >> nth=0")
    rp.wait_for_url(re.compile(r"ok=sanction"))
    referent.close()
