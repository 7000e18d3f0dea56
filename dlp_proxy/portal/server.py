"""The portal's direct listener (``--portal-port``) for referents who are not behind the proxy.

HTTP Basic against the proxy's own users (mitmproxy's ``proxyauth`` validator: htpasswd, LDAP, a
single user), over TLS with a certificate from the proxy's CA (the one clients already trust).
Without a validator (a proxy without authentication) every request is refused: the portal must know
who acts.
"""

from __future__ import annotations

import base64
import ssl
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from dlp_proxy.logs import get_logger

from .app import PortalRequest, PortalService, security_headers

log = get_logger("dlp_proxy.portal")

Validator = Callable[[str, str], bool]


def basic_user(header: str | None, validator: Validator | None) -> str | None:
    """The user of a valid ``Authorization: Basic`` header, else ``None``."""
    if not header or validator is None:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, sep, password = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    if not sep or not user:
        return None
    try:
        return user if validator(user, password) else None
    except Exception:
        return None


class PortalServer:
    """A threaded HTTPS server answering with :meth:`PortalService.handle`."""

    def __init__(
        self,
        portal: Callable[[], PortalService | None],
        validator: Callable[[], Validator | None],
        host: str,
        port: int,
        tls: tuple[Path, Path] | None,
    ) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "dlp-proxy-portal"
            sys_version = ""

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib's name
                return  # no access log: paths and user names stay out of logs

            def _serve(self) -> None:
                service = portal()
                user = basic_user(self.headers.get("authorization"), validator())
                if service is None or user is None:
                    headers = security_headers()
                    status = 503 if service is None else 401
                    if status == 401:
                        headers["www-authenticate"] = 'Basic realm="Portail IA", charset="UTF-8"'
                    body = b"Authentification requise / authentication required"
                    headers["content-type"] = "text/plain; charset=utf-8"
                    return self._send(status, headers, body)
                length = int(self.headers.get("content-length") or 0)
                if length > 64 * 1024:
                    return self._send(413, {"content-type": "text/plain"}, b"too large")
                body = self.rfile.read(length) if length else b""
                req = PortalRequest(
                    self.command,
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                    user,
                )
                self._send(*service.handle(req))

            def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_POST = do_HEAD = _serve

            def do_PUT(self) -> None:  # noqa: N802 - stdlib's naming
                self._send(405, {"content-type": "text/plain"}, b"method not allowed")

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        if tls is not None:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.minimum_version = ssl.TLSVersion.TLSv1_2
            ctx.load_cert_chain(str(tls[0]), str(tls[1]))
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self._thread: threading.Thread | None = None
        del outer

    def start(self) -> PortalServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="dlp-portal-http", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


def tls_files(confdir: Path, host: str, key_size: int = 2048) -> tuple[Path, Path]:
    """A certificate for the listener's host signed by the proxy's CA (written in the confdir)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from mitmproxy.certs import CertStore

    store = CertStore.from_store(Path(confdir).expanduser(), "mitmproxy", key_size)
    name = host if host not in ("", "0.0.0.0", "::") else "localhost"
    sans: list[x509.GeneralName] = [x509.DNSName("localhost")]
    try:
        sans.append(x509.IPAddress(ipaddress.ip_address(name)))
    except ValueError:
        sans.append(x509.DNSName(name))
    sans.append(x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
    entry = store.get_cert(name, sans)
    cert_path = Path(confdir).expanduser() / "dlp-portal-cert.pem"
    key_path = Path(confdir).expanduser() / "dlp-portal-key.pem"
    cert_path.write_bytes(entry.cert.to_pem())
    key_path.touch(mode=0o600)
    key_path.write_bytes(
        entry.privatekey.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path
