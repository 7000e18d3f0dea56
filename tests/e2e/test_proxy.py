"""The foundation, end to end: a real proxy process, the real SDKs and curl, the shipped policy."""

from __future__ import annotations

import gzip
import json
import re
import signal
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

import anthropic
import httpx
import openai
import pytest

from tests.e2e.conftest import ProxyProcess, copy_rules, start_proxy
from tests.e2e.fakeprovider import FakeProvider

pytestmark = pytest.mark.e2e


def openai_client(proxy: ProxyProcess, **kw) -> openai.OpenAI:
    http_client = openai.DefaultHttpxClient(proxy=proxy.url, verify=proxy.ssl_context())
    return openai.OpenAI(api_key="sk-test-not-a-real-key", http_client=http_client, max_retries=0, **kw)


def anthropic_client(proxy: ProxyProcess) -> anthropic.Anthropic:
    http_client = anthropic.DefaultHttpxClient(proxy=proxy.url, verify=proxy.ssl_context())
    return anthropic.Anthropic(api_key="sk-ant-test-not-real", http_client=http_client, max_retries=0)


def wait_incident(proxy: ProxyProcess, predicate) -> dict:
    """The first incident matching ``predicate``, waiting for the store's writer thread."""
    rows = proxy.incidents_when(lambda rows: any(predicate(row) for row in rows))
    for row in rows:
        if predicate(row):
            return row
    raise AssertionError("incident not written")


def post_chatgpt_web(
    proxy: ProxyProcess, *curl_options: str, check: bool = True
) -> subprocess.CompletedProcess:
    """curl POSTs an (empty) conversation to the ChatGPT web app through ``proxy``."""
    return subprocess.run(
        ["curl", "-sS", "-x", proxy.url, "--cacert", str(proxy.ca_pem), *curl_options,
         "-H", "Content-Type: application/json", "-d", '{"messages": []}',
         "https://chatgpt.com/backend-api/conversation"],
        capture_output=True, text=True, timeout=30, check=check,
    )  # fmt: skip


def test_approved_model_answers(proxy: ProxyProcess, provider: FakeProvider) -> None:
    client = openai_client(proxy)
    out = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Reformule ce mail interne."}]
    )
    assert out.choices[0].message.content == "Bonjour, voici ma réponse."
    assert len(provider.received) == 1
    got = provider.received[0]
    assert got.path == "/openai/v1/chat/completions"
    assert got.json()["messages"][0]["content"] == "Reformule ce mail interne."
    assert got.headers["authorization"] == "Bearer sk-test-not-a-real-key"


def test_forbidden_model_gets_french_message(proxy: ProxyProcess, provider: FakeProvider) -> None:
    client = openai_client(proxy)
    with pytest.raises(openai.PermissionDeniedError) as exc:
        client.chat.completions.create(model="o1-pro", messages=[{"role": "user", "content": "Bonjour"}])
    err = exc.value
    assert err.status_code == 403
    assert err.response.headers["x-should-retry"] == "false"
    body = err.response.json()
    assert body["error"]["code"] == "model_forbidden"
    message = body["error"]["message"]
    assert "coût et usage non validé" in message
    assert "o1-pro" in message
    assert err.response.headers["x-dlp-proxy-request-id"] in message
    assert provider.received == []  # never reached the provider
    request_id = err.response.headers["x-dlp-proxy-request-id"]
    row = wait_incident(proxy, lambda r: r["request_id"] == request_id)
    assert row["code"] == "model_forbidden" and row["model"] == "o1-pro" and row["decision"] == "blocked"


def test_model_limit_is_case_insensitive(proxy: ProxyProcess, provider: FakeProvider) -> None:
    client = openai_client(proxy)
    with pytest.raises(openai.PermissionDeniedError):
        client.chat.completions.create(model="O1-PRO-2025-03-19", messages=[{"role": "user", "content": "x"}])
    assert provider.received == []


def test_deepseek_forbidden_speaks_openai_shape(proxy: ProxyProcess, provider: FakeProvider) -> None:
    client = openai_client(proxy, base_url="https://api.deepseek.com/v1")
    with pytest.raises(openai.PermissionDeniedError) as exc:
        client.chat.completions.create(
            model="deepseek-chat", messages=[{"role": "user", "content": "Bonjour"}]
        )
    body = exc.value.response.json()
    assert body["error"]["code"] == "tool_forbidden"
    assert "DeepSeek" in body["error"]["message"]
    assert provider.received == []


def test_anthropic_sdk_allowed_and_streamed(proxy: ProxyProcess, provider: FakeProvider) -> None:
    client = anthropic_client(proxy)
    msg = client.messages.create(
        model="claude-sonnet-5",
        max_tokens=50,
        system="Tu es un assistant.",
        messages=[{"role": "user", "content": "Résume ce texte."}],
    )
    assert msg.content[0].text == "Bonjour, voici ma réponse."
    assert provider.received[0].path == "/anthropic/v1/messages"
    # anthropic 2.x sends the key as a bearer token; it must reach the provider untouched
    assert provider.received[0].headers["authorization"] == "Bearer sk-ant-test-not-real"


def test_sse_first_chunk_arrives_before_provider_finishes(
    proxy: ProxyProcess, provider: FakeProvider
) -> None:
    """The provider holds the rest of the stream until the client has seen the first chunk."""
    client = openai_client(proxy)
    stream = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Bonjour"}], stream=True
    )
    pieces = []
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
            provider.release.set()
    assert "".join(pieces) == "Bonjour, voici ma réponse."
    assert not provider.release_timed_out, "the proxy buffered the stream"


def test_anthropic_stream_not_buffered(proxy: ProxyProcess, provider: FakeProvider) -> None:
    client = anthropic_client(proxy)
    texts = []
    with client.messages.stream(
        model="claude-sonnet-5", max_tokens=20, messages=[{"role": "user", "content": "Salut"}]
    ) as stream:
        for event in stream:
            if event.type == "message_start":
                provider.release.set()
            if event.type == "text":
                texts.append(event.text)
    assert "".join(texts) == "Bonjour"
    assert not provider.release_timed_out


def test_curl_browser_gets_french_html_page(proxy: ProxyProcess, provider: FakeProvider) -> None:
    out = subprocess.run(
        [
            "curl",
            "-sS",
            "-x",
            proxy.url,
            "--cacert",
            str(proxy.ca_pem),
            "-H",
            "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "-w",
            "\n%{http_code}",
            "https://chat.deepseek.com/",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    page, status = out.stdout.rsplit("\n", 1)
    assert status == "403"
    assert '<html lang="fr"' in page
    assert "DeepSeek" in page
    # the referents of the shipped policy are named on the page
    assert "Référent" in page
    assert provider.received == []


def test_curl_pilot_tool_outside_group(proxy: ProxyProcess, provider: FakeProvider) -> None:
    out = post_chatgpt_web(proxy, "-H", "Accept: application/json")
    body = json.loads(out.stdout)
    assert body["error"]["code"] == "tool_pilot_only"
    assert "pilote-ia" in body["error"]["message"]
    assert provider.received == []


def test_pilot_group_member_passes(tmp_path, provider: FakeProvider) -> None:
    """With 127.0.0.0/8 mapped to pilote-ia, the same request reaches the provider."""
    rules = copy_rules(tmp_path / "rules")
    directory = (rules / "directory.yaml").read_text()
    assert "networks:" in directory
    directory = directory.replace("networks:", "networks:\n  - cidr: 127.0.0.0/8\n    groups: [pilote-ia]", 1)
    (rules / "directory.yaml").write_text(directory)
    p = start_proxy(tmp_path / "run", provider, rules=rules)
    try:
        out = post_chatgpt_web(p)
        assert json.loads(out.stdout)["ok"] is True
        assert provider.received[0].path == "/web/backend-api/conversation"
    finally:
        p.stop()


def test_company_hosted_endpoint_approved(proxy: ProxyProcess, provider: FakeProvider) -> None:
    with httpx.Client(proxy=proxy.url, verify=proxy.ssl_context()) as c:
        r = c.post("https://llm.interne.example.fr/api/chat", json={"model": "mistral", "messages": []})
    assert r.status_code == 200
    assert provider.received[0].path == "/ollama/api/chat"


def test_non_ai_host_is_tunnelled_with_its_own_certificate(proxy: ProxyProcess, tmp_path) -> None:
    """The client must see the real server's certificate, not one minted by the proxy's CA."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "intranet.example.org")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("intranet.example.org")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_pem = tmp_path / "server.pem"
    key_pem = tmp_path / "server.key"
    cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert_pem, key_pem)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        conn, _ = listener.accept()
        with server_ctx.wrap_socket(conn, server_side=True) as tls_conn:
            tls_conn.recv(100)
            tls_conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as raw:
        raw.sendall(f"CONNECT 127.0.0.1:{port} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        assert raw.recv(4096).startswith(b"HTTP/1.1 200")
        client_ctx = ssl.create_default_context(cafile=str(cert_pem))
        with client_ctx.wrap_socket(raw, server_hostname="intranet.example.org") as tls_client:
            seen = tls_client.getpeercert(binary_form=True)
            tls_client.sendall(b"GET / HTTP/1.1\r\nHost: intranet.example.org\r\n\r\n")
            assert tls_client.recv(4096).endswith(b"ok")
    assert seen == cert.public_bytes(serialization.Encoding.DER)
    t.join(5)
    listener.close()


def test_ai_host_is_intercepted_by_proxy_ca(proxy: ProxyProcess) -> None:
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as raw:
        raw.sendall(b"CONNECT api.openai.com:443 HTTP/1.1\r\nHost: api.openai.com:443\r\n\r\n")
        assert raw.recv(4096).startswith(b"HTTP/1.1 200")
        ctx = ssl.create_default_context(cafile=str(proxy.ca_pem))
        with ctx.wrap_socket(raw, server_hostname="api.openai.com") as tls_client:
            issuer = dict(x[0] for x in tls_client.getpeercert()["issuer"])
    assert issuer["organizationName"] == "mitmproxy"


def test_undecodable_and_oversized_bodies_fail_closed(proxy: ProxyProcess, provider: FakeProvider) -> None:
    with httpx.Client(proxy=proxy.url, verify=proxy.ssl_context()) as c:
        stacked = c.post(
            "https://api.openai.com/v1/chat/completions",
            content=gzip.compress(gzip.compress(b'{"model":"gpt-4o"}')),
            headers={"content-type": "application/json", "content-encoding": "gzip, gzip"},
        )
        bad_json = c.post(
            "https://api.openai.com/v1/chat/completions",
            content=b'{"model": "gpt-4o", "messages": [',
            headers={"content-type": "application/json"},
        )
        bad_charset = c.post(
            "https://api.anthropic.com/v1/messages",
            content='{"model": "claude", "x": "é"}'.encode("latin-1"),
            headers={"content-type": "application/json; charset=utf-8"},
        )
        big = c.post(
            "https://api.openai.com/v1/chat/completions",
            content=b'{"model":"gpt-4o","pad":"' + b"a" * (11 * 1024 * 1024) + b'"}',
            headers={"content-type": "application/json"},
        )
        gzipped_ok = c.post(
            "https://api.openai.com/v1/chat/completions",
            content=gzip.compress(b'{"model":"gpt-4o-mini","messages":[]}'),
            headers={"content-type": "application/json", "content-encoding": "gzip"},
        )
    assert stacked.status_code == 400 and stacked.json()["error"]["code"] == "undecodable_body"
    assert bad_json.status_code == 400 and bad_json.json()["error"]["code"] == "undecodable_body"
    assert bad_charset.status_code == 400 and bad_charset.json()["type"] == "error"
    assert big.status_code == 413 and big.headers["x-should-retry"] == "false"
    assert gzipped_ok.status_code == 200
    assert [r.path for r in provider.received] == ["/openai/v1/chat/completions"]


def test_a_client_table_read_by_two_workers_never_reaches_the_provider(
    proxy: ProxyProcess, provider: FakeProvider
) -> None:
    """A pasted CSV export of clients, names in lower case (only the header says they are names), long
    enough that each detection worker reads a part of it: no name reaches the provider. (With one
    worker, on a one-CPU machine, the text is not split and the same must hold.)"""
    from tests.test_engine import client_table

    text, names = client_table(150)
    openai_client(proxy).chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": text}]
    )
    sent = provider.received[0].json()["messages"][0]["content"]
    assert sent.count("\n") == text.count("\n") and ";Lyon;249" in sent  # the table went, redacted
    assert [n for n in names if re.search(rf"\b{n}\b", sent)] == []


LOWER_CASE_PROMPT = (
    "Bonjour Madame mandrelle,\n"
    "voici le compte rendu de la réunion du 20/01.\n"
    "Présents : anatol sapetti, setta tavernier\n"
    "Excusée : barrin onnor\n"
    "Contacts à relancer :\n"
    "Client;Société;Email\n"
    "norina gentrec;Ecoplast;gentrec.norina@gmail.com\n"
    "mordjan alglavo;Hexagone Télécom;malglavo@sofradis.eu\n"
    "Appelle zdzimir au 06 98 14 21 68, prévenir ilvana au service paie\n"
    "et virer 67,70 € à kamira le morvan, IBAN FR7630006000011234567890189.\n"
    "Je vous prie d'agréer l'expression de mes salutations distinguées.\n\n"
    "nathan le barbet"
)
LOWER_CASE_NAMES = (
    "mandrelle", "anatol sapetti", "setta tavernier", "barrin onnor", "norina gentrec", "mordjan alglavo",
    "nathan le barbet", "zdzimir", "ilvana", "kamira le morvan",
)  # fmt: skip


def test_names_typed_in_lower_case_never_reach_the_provider(
    proxy: ProxyProcess, provider: FakeProvider
) -> None:
    """A business message typed in lower case, names nobody's list holds: after a civility, under role
    labels, in a CSV whose e-mail column spells them, whom to call or pay, as the signature. None
    reaches the provider."""
    anthropic_client(proxy).messages.create(
        model="claude-sonnet-5", max_tokens=50, messages=[{"role": "user", "content": LOWER_CASE_PROMPT}]
    )
    sent = provider.received[0].json()["messages"][0]["content"]
    assert "compte rendu de la réunion" in sent and "Ecoplast" in sent  # the message went, redacted
    assert [n for n in LOWER_CASE_NAMES if n in sent or n.split()[-1] in sent] == []


OFFICE_PROMPT = (
    "Bonjour,\n"
    "le chef de projet Marc Lemoine valide le planning vendredi.\n"
    "Transmets à Loïs Prevanet du service juridique le dossier Ecoplast.\n"
    "Réunion annulée : Kristell est malade.\n"
    "M. Doyon (Célian) a appelé pour le pot de départ de Tancrède Boisselin.\n"
    "Transcript :\n[10:42] Kaiss Stumpf : ok pour moi\n[10:43] Jenkins : build OK\n"
    "Je m'appelle Soham Ponte, je remplace Pierre-Loup Gastou cette semaine.\n"
    "- Tymothé Vanpeene : relancer le client\n"
    "Petru m'a dit que le serveur était down, merci de répondre avant midi.\n"
    "Invitation envoyée à Lachlan Macquarie et à l'équipe achats.\n"
    "Le dossier de Mohammed el-Amrani et celui de Mme Dupont-de-Nemours sont transmis à Jean-marc Vasseur.\n"
    "La relance est suivie par Marianne Vos.\n"
    "Cc Chauncey Billups, Dolph Ziggler"
)
OFFICE_NAMES = (
    "Lemoine", "Marc", "Loïs", "Prevanet", "Kristell", "Doyon", "Célian", "Tancrède", "Boisselin", "Kaiss",
    "Stumpf", "Soham", "Ponte", "Pierre-Loup", "Gastou", "Tymothé", "Vanpeene", "Petru", "Lachlan",
    "Macquarie", "Chauncey", "Billups", "Dolph", "Ziggler", "Mohammed", "Amrani", "Dupont", "Nemours",
    "Jean-marc", "Vasseur", "Marianne", " Vos",
)  # fmt: skip


def test_names_in_office_layouts_never_reach_the_provider(
    proxy: ProxyProcess, provider: FakeProvider
) -> None:
    """Rare names where office messages put them and the model reads them as places or nothing: the
    person in charge of a project, a first name folding onto a thing's noun ("Loïs"), the subject after
    a colon or before "m'a", a first name in brackets, whose farewell party, a transcript's speaker,
    who introduces themself, a compound and another spelling of listed first names ("Pierre-Loup",
    "Tymothé"), first names of other countries ("Lachlan", "Dolph"), every part of names whose
    particles, articles or second first name are glued by a hyphen ("Dupont-de-Nemours", "el-Amrani",
    "Jean-marc") or whose family name is a French word ("Vos"). None reaches the provider through the
    openai SDK; the bot and the company do."""
    openai_client(proxy).chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": OFFICE_PROMPT}]
    )
    sent = provider.received[0].json()["messages"][0]["content"]
    assert "Jenkins : build OK" in sent and "Ecoplast" in sent  # the message went, redacted
    assert [n for n in OFFICE_NAMES if n in sent] == []


def test_metrics_health_and_no_secrets_in_logs(proxy: ProxyProcess) -> None:
    client = openai_client(proxy)
    with pytest.raises(openai.PermissionDeniedError):
        client.chat.completions.create(model="o1-pro", messages=[{"role": "user", "content": "x"}])
    text = proxy.metrics()
    assert 'dlp_proxy_requests_total{decision="blocked",tool="openai-api"}' in text
    assert "dlp_proxy_policy_info{" in text
    assert "dlp_proxy_hook_duration_seconds_bucket" in text
    assert "127.0.0.1" not in text
    logs = proxy.logs()
    assert "sk-test-not-a-real-key" not in logs and "sk-ant-test-not-real" not in logs
    assert "ca_certificate" in logs and "mitmproxy-ca-cert.pem" in logs
    for line in logs.splitlines():
        json.loads(line)  # every log line is JSON
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{proxy.metrics_port}/healthz") as r:
        assert r.status == 200


def test_sdk_through_environment_proxy_variables(
    proxy: ProxyProcess, provider: FakeProvider, tmp_path
) -> None:
    """How employees' tools are configured: HTTPS_PROXY and SSL_CERT_FILE, default base_url."""
    script = (
        "import openai\n"
        "c = openai.OpenAI(api_key='sk-env', max_retries=0)\n"
        "r = c.chat.completions.create(model='gpt-4o-mini', messages=[{'role':'user','content':'Bonjour'}])\n"
        "print(r.choices[0].message.content)\n"
    )
    import os
    import sys

    env = dict(os.environ, HTTPS_PROXY=proxy.url, SSL_CERT_FILE=str(proxy.bundle))
    env.pop("NO_PROXY", None)
    env.pop("no_proxy", None)
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "Bonjour, voici ma réponse."


def test_proxyauth_user_groups_and_password_never_logged(tmp_path, provider: FakeProvider) -> None:
    """Identity from mitmproxy's proxyauth: a pilot-group member passes, an outsider is told why."""
    # cmartin is in pilote-ia in the shipped directory (mitmproxy's single-user proxyauth form).
    p = start_proxy(tmp_path / "run", provider, extra=["--set", "proxyauth=cmartin:Mot-De-Passe-42"])
    try:
        ok = post_chatgpt_web(p, "-U", "cmartin:Mot-De-Passe-42")
        assert json.loads(ok.stdout)["ok"] is True
        denied = post_chatgpt_web(p, "-w", "%{http_connect}", "-o", "/dev/null", check=False)
        assert denied.stdout == "407"  # no credentials: the proxy asks for them at CONNECT
        assert "Mot-De-Passe-42" not in p.logs()
    finally:
        p.stop()


def limit_gpt_4o_mini(rules: Path) -> None:
    """Edit the policy so that gpt-4o-mini joins o1-pro* on the OpenAI API's deny-list."""
    policy = (rules / "policy.yaml").read_text()
    limited = policy.replace('deny: ["o1-pro*"]', 'deny: ["o1-pro*", "gpt-4o-mini*"]', 1)
    assert limited != policy
    (rules / "policy.yaml").write_text(limited)


def wait_until_model_forbidden(client: openai.OpenAI, seconds: float) -> None:
    """Retry gpt-4o-mini until the new policy refuses it (the reload is asynchronous)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "b"}])
        except openai.PermissionDeniedError as exc:
            assert exc.response.json()["error"]["code"] == "model_forbidden"
            return
        assert time.monotonic() < deadline, "policy not reloaded"
        time.sleep(0.2)


def test_sighup_reloads_policy_and_refuses_broken_one(tmp_path, provider: FakeProvider) -> None:
    rules = copy_rules(tmp_path / "rules")
    # no file watching here: only the signal may reload
    p = start_proxy(tmp_path / "run", provider, rules=rules, extra=["--set", "dlp_watch_seconds=0"])
    try:
        client = openai_client(p)
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "a"}])
        limit_gpt_4o_mini(rules)
        p.proc.send_signal(signal.SIGHUP)
        wait_until_model_forbidden(client, 10)
        # a broken policy is refused and the one in force stays
        (rules / "policy.yaml").write_text("policy: [broken\n")
        p.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while "policy_reload_refused" not in p.logs():
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert p.proc.poll() is None
        with pytest.raises(openai.PermissionDeniedError):
            client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "c"}])
        assert "dlp_proxy_policy_reload_failures_total 1.0" in p.metrics()
    finally:
        p.stop()


def test_policy_file_change_reloads_without_signal(tmp_path, provider: FakeProvider) -> None:
    rules = copy_rules(tmp_path / "rules")
    p = start_proxy(tmp_path / "run", provider, rules=rules, extra=["--set", "dlp_watch_seconds=0.3"])
    try:
        client = openai_client(p)
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "a"}])
        limit_gpt_4o_mini(rules)
        wait_until_model_forbidden(client, 15)
        assert "policy_files_changed" in p.logs()
    finally:
        p.stop()


def test_shadow_ai_counted_from_connect_without_decrypting(proxy: ProxyProcess) -> None:
    """Forbidden / unlisted catalog tools and unknown AI-looking hosts are counted per group and week."""
    from dlp_proxy.incidents import open_store

    for url in (
        "https://api.groq.com/openai/v1/models",
        "https://chat.deepseek.com/",
        "https://llm-gateway.example.org/",
    ):
        subprocess.run(
            [
                "curl",
                "-sS",
                "-o",
                "/dev/null",
                "-x",
                proxy.url,
                "--cacert",
                str(proxy.ca_pem),
                "-m",
                "5",
                url,
            ],
            capture_output=True,
            timeout=30,
        )
    deadline = time.monotonic() + 10
    while True:
        store = open_store(None, proxy.data_dir)
        try:
            seen = {(s.host, s.status): s for s in store.sightings()}
        finally:
            store.close()
        if len(seen) >= 3 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert seen[("api.groq.com", "unlisted")].group == "(aucun)"
    assert ("chat.deepseek.com", "forbidden") in seen
    assert ("llm-gateway.example.org", "unknown_ai") in seen
    assert all("127.0.0.1" not in (s.host + s.group) for s in seen.values())
