"""The parity matrix: for each setup, the real SDK and the doctor against the same server and
the same environment.

For every setup: the doctor exits 1 exactly when ``MemorySyncClient(...).export_all()`` raises
(0 when it returns an ExportResponse), the check that must name the root cause fails and says it,
and the doctor's own SDK round trip met the same exception class as the in-process SDK. The
documented exception: a 429 rate limit is a warning in the doctor (not a misconfiguration) while
the SDK raises RateLimitError.

While the doctor runs, ``os.environ`` holds misleading CA and proxy variables: the doctor must read
only the environ it is given (the SDK reads os.environ, which ``sdk_outcome`` sets to that same
environ for the duration of the call).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import socket
import sys
import threading
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Tuple

import pytest
from packaging.specifiers import SpecifierSet

from doctor.demo import BREAKS, demo_config
from doctor.report import Report
from doctor.results import Status
from doctor.sandbox import DEMO_END_USER, DEMO_KEY, DEMO_PROJECT, Sandbox
from tests.conftest import DEMO_BREAKS
from tests.network.certs import (
    chain_context,
    cn_only_context,
    der_file,
    no_aki_context,
    self_signed_context,
)
from tests.network.conftest import ContextFactory
from tests.network.helpers import (
    BREAK_CAUSES,
    CA_VARIABLES,
    Proxy,
    SdkOutcome,
    minimal_environ,
    row,
    run_doctor,
    sandbox_config,
    sdk_arguments,
    sdk_outcome,
    table,
    text,
)
from tests.network.venvs import httpx_python, matrix_versions
from tests.probe.servers import HTTPServer, RawServer, free_port, pipe, send

pytestmark = pytest.mark.slow  # waits on sockets, deadlines or child processes

memorysync = pytest.importorskip("memorysync")

POISON_PROXY = "http://127.0.0.1:9"  # the discard port: nothing listens there


@pytest.fixture(autouse=True)
def misleading_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """What this process's os.environ says must not matter to the doctor, only its environ."""
    for name in CA_VARIABLES:
        monkeypatch.setenv(name, "/nonexistent/not-the-bundle.pem")
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.setenv(name, POISON_PROXY)


@dataclass(frozen=True)
class Setup:
    """One environment + server. Values may hold {templates}, filled in by the test:
    {url} {port} of the sandbox, {ca} {ca_dir} {missing} {empty_dir} {not_pem} CA paths, {refused} an
    http:// URL nobody listens on, {proxy} a working proxy, {auth_proxy} a proxy answering 407,
    {target} a second sandbox (redirect target)."""

    expect: Optional[str]  # the check that must fail naming the cause; None: everything works
    cause: str = ""  # a distinctive fragment of that row's summary or fix
    faults: Tuple[str, ...] = ()
    tls: Tuple[str, ...] = ()  # the certificate's names; () serves plain http
    cert: Mapping[str, float] = field(default_factory=dict)  # days_left= / starts_in=
    environ: Mapping[str, str] = field(default_factory=dict)
    settings: Mapping[str, Optional[str]] = field(default_factory=dict)
    others: Mapping[str, str] = field(default_factory=dict)  # more rows and their status
    construct: bool = False  # the SDK fails in MemorySyncClient(...), before any request
    outage: bool = False  # the service's own failure: exit code 4, not 1
    proxied: bool = True  # with {proxy}: the SDK, the probe and the child all go through it
    # A server certificate trustme does not make (tests/network/certs.py): "cn-only",
    # "no-aki", "leaf-only" (issued by an intermediate, sent alone), "full-chain",
    # "self-signed"; its names are tls[0].
    server: str = ""
    # Seconds a forwarder in front of the sandbox holds the first bytes: a slow TLS handshake.
    slow_handshake: float = 0.0
    # A canned answer instead of the sandbox (CANNED): its base URL is {canned}.
    canned: str = ""
    # Where httpx releases differ: {"<0.28": {"expect": ..., ...}} replaces those fields for the
    # installed httpx versions in that range; "py>=3.13 >=0.28" adds a condition on the
    # interpreter (docs/httpx-versions.md).
    httpx: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def for_httpx(self, version: str, python: str) -> Setup:
        setup = self
        for key, changes in self.httpx.items():
            conditions = key.split()
            if all(
                SpecifierSet(c[2:]).contains(python)
                if c.startswith("py")
                else SpecifierSet(c).contains(version)
                for c in conditions
            ):
                setup = replace(setup, **changes)
        return setup


TLS = ("127.0.0.1",)
HTTPS_LOCALHOST = {"base_url": "https://localhost:{port}"}
socksio_missing = importlib.util.find_spec("socksio") is None

SETUPS: Dict[str, Setup] = {
    # --- works for the SDK: the doctor must not raise a false alarm ---------------------------
    "healthy": Setup(None),
    "no-project": Setup(None, settings={"project_id": None}, others={"api.project": "skip"}),
    "trailing-slash": Setup(None, settings={"base_url": "{url}/"}),
    "latency-over-half": Setup(
        None,
        faults=("latency=0.35",),
        settings={"timeout": "0.6"},
        others={"timeout.latency": "warn"},
    ),
    "tls-ssl-cert-file": Setup(None, tls=TLS, environ={"SSL_CERT_FILE": "{ca}"}),
    "tls-ssl-cert-dir": Setup(None, tls=TLS, environ={"SSL_CERT_DIR": "{ca_dir}"}),
    "tls-localhost-name": Setup(
        None, tls=("localhost",), environ={"SSL_CERT_FILE": "{ca}"}, settings=HTTPS_LOCALHOST
    ),
    "tls-requests-bundle-broken": Setup(
        None,
        tls=TLS,
        environ={"SSL_CERT_FILE": "{ca}", "REQUESTS_CA_BUNDLE": "{missing}"},
        others={"tls.trust_env": "warn"},
    ),
    "tls-cert-expires-soon": Setup(
        None,
        tls=TLS,
        cert={"days_left": 5},
        environ={"SSL_CERT_FILE": "{ca}"},
        others={"url.reachable": "warn"},
    ),
    # httpx consults SSL_CERT_DIR only during a handshake: a broken one does not matter to http
    "http-with-unhashed-ssl-cert-dir": Setup(
        None, environ={"SSL_CERT_DIR": "{empty_dir}"}, others={"tls.trust_env": "warn"}
    ),
    "http-with-missing-ssl-cert-dir": Setup(
        None, environ={"SSL_CERT_DIR": "{missing}"}, others={"tls.trust_env": "warn"}
    ),
    # before 0.28 httpx skips a CA variable that is not a file (directory) and uses certifi
    "https-with-ssl-cert-file-a-directory": Setup(
        "tls.trust_env",
        "is a directory",
        tls=TLS,
        environ={"SSL_CERT_FILE": "{empty_dir}", "SSL_CERT_DIR": "{ca_dir}"},
        construct=True,
        httpx={"<0.28": {"expect": None, "construct": False, "others": {"tls.trust_env": "warn"}}},
    ),
    "no-proxy-exact-ip": Setup(None, environ={"HTTP_PROXY": "{refused}", "NO_PROXY": "127.0.0.1"}),
    "no-proxy-star": Setup(None, environ={"HTTP_PROXY": "{refused}", "NO_PROXY": "*"}),
    # httpx matches host:port literally and goes direct; requests proxies: a warning, not a fail
    "no-proxy-ip-and-port": Setup(
        None,
        environ={"HTTP_PROXY": "{refused}", "NO_PROXY": "127.0.0.1:{port}"},
        others={"proxy.env": "warn"},
    ),
    "https-proxy-only-for-http-url": Setup(None, environ={"HTTPS_PROXY": "{refused}"}),
    "http-proxy-only-for-https-url": Setup(
        None, tls=TLS, environ={"HTTP_PROXY": "{refused}", "SSL_CERT_FILE": "{ca}"}
    ),
    # (http:// through a proxy is refused by the doctor: see test_key_destinations.py)
    "via-connect-proxy": Setup(
        None, tls=TLS, environ={"HTTPS_PROXY": "{proxy}", "SSL_CERT_FILE": "{ca}"}
    ),
    "via-connect-proxy-cidr-no-proxy": Setup(
        None,
        tls=TLS,
        environ={"HTTPS_PROXY": "{proxy}", "NO_PROXY": "127.0.0.0/8", "SSL_CERT_FILE": "{ca}"},
        others={"proxy.env": "warn"},
    ),
    "socks4-behind-no-proxy-star": Setup(
        None, environ={"ALL_PROXY": "socks4://127.0.0.1:1080", "NO_PROXY": "*"}
    ),
    # --- TLS: the SDK fails -----------------------------------------------------------------
    "tls-requests-bundle-only": Setup(
        "tls.trust_env",
        "export SSL_CERT_FILE={ca}",
        tls=TLS,
        environ={"REQUESTS_CA_BUNDLE": "{ca}"},
        others={"url.reachable": "fail"},
    ),
    "tls-curl-bundle-only": Setup(
        "tls.trust_env", "export SSL_CERT_FILE={ca}", tls=TLS, environ={"CURL_CA_BUNDLE": "{ca}"}
    ),
    "tls-requests-bundle-only-via-proxy": Setup(
        "tls.trust_env",
        "export SSL_CERT_FILE={ca}",
        tls=TLS,
        environ={"REQUESTS_CA_BUNDLE": "{ca}", "HTTPS_PROXY": "{proxy}"},
    ),
    "tls-requests-bundle-directory-only": Setup(
        "tls.trust_env",
        "export SSL_CERT_DIR={ca_dir}",
        tls=TLS,
        environ={"REQUESTS_CA_BUNDLE": "{ca_dir}"},
    ),
    "tls-no-ca-variable": Setup(
        "url.reachable", "untrusted certificate", tls=TLS, others={"tls.trust_env": "pass"}
    ),
    "tls-ca-dir-without-links": Setup(
        "url.reachable", "untrusted certificate", tls=TLS, environ={"SSL_CERT_DIR": "{empty_dir}"}
    ),
    "tls-ip-address-mismatch": Setup(
        "url.reachable",
        "not valid for 127.0.0.1",
        tls=("api.memorysync.invalid",),
        environ={"SSL_CERT_FILE": "{ca}"},
    ),
    "tls-hostname-mismatch": Setup(
        "url.reachable",
        "not valid for localhost",
        tls=("api.memorysync.invalid",),
        environ={"SSL_CERT_FILE": "{ca}"},
        settings=HTTPS_LOCALHOST,
    ),
    "tls-cert-expired": Setup(
        "url.reachable",
        "has expired",
        tls=TLS,
        cert={"days_left": -1},
        environ={"SSL_CERT_FILE": "{ca}"},
    ),
    "tls-cert-not-yet-valid": Setup(
        "url.reachable",
        "not valid yet",
        tls=TLS,
        cert={"starts_in": 2},
        environ={"SSL_CERT_FILE": "{ca}"},
    ),
    "tls-ssl-cert-file-missing": Setup(
        "tls.trust_env",
        "file does not exist",
        tls=TLS,
        environ={"SSL_CERT_FILE": "{missing}"},
        construct=True,
        httpx={
            "<0.28": {
                "expect": "url.reachable",
                "cause": "untrusted certificate",
                "construct": False,
                "others": {"tls.trust_env": "warn"},
            }
        },
    ),
    # httpx loads SSL_CERT_FILE when the client is built, even for an http:// base_url
    "http-with-ssl-cert-file-not-pem": Setup(
        "tls.trust_env",
        "contains no PEM certificate",
        environ={"SSL_CERT_FILE": "{not_pem}"},
        construct=True,
    ),
    "https-on-plain-http-port": Setup(
        "url.reachable", "plain HTTP", settings={"base_url": "https://127.0.0.1:{port}"}
    ),
    # --- proxies: the SDK fails ---------------------------------------------------------------
    # Over https:// (CONNECT): the doctor never sends the key through a proxy over http://.
    "no-proxy-cidr": Setup(
        "url.reachable",
        "connection refused by proxy",
        tls=TLS,
        environ={"HTTPS_PROXY": "{refused}", "NO_PROXY": "127.0.0.0/8", "SSL_CERT_FILE": "{ca}"},
        others={"proxy.env": "warn"},
    ),
    "no-proxy-unset": Setup(
        "url.reachable",
        "connection refused by proxy",
        tls=TLS,
        environ={"HTTPS_PROXY": "{refused}", "SSL_CERT_FILE": "{ca}"},
        others={"proxy.env": "pass"},
    ),
    "no-proxy-hidden-by-empty-lowercase": Setup(
        "url.reachable",
        "connection refused by proxy",
        tls=TLS,
        environ={
            "HTTPS_PROXY": "{refused}",
            "no_proxy": "",
            "NO_PROXY": "127.0.0.1",
            "SSL_CERT_FILE": "{ca}",
        },
        others={"proxy.env": "warn"},
    ),
    "no-proxy-localhost-for-ip": Setup(
        "url.reachable",
        "connection refused by proxy",
        tls=TLS,
        environ={"HTTPS_PROXY": "{refused}", "NO_PROXY": "localhost", "SSL_CERT_FILE": "{ca}"},
    ),
    "all-proxy-refused": Setup(
        "url.reachable",
        "check ALL_PROXY",
        tls=TLS,
        environ={"ALL_PROXY": "{refused}", "SSL_CERT_FILE": "{ca}"},
    ),
    "proxy-407-connect": Setup(
        "url.reachable",
        "407",
        tls=TLS,
        environ={"HTTPS_PROXY": "{auth_proxy}", "SSL_CERT_FILE": "{ca}"},
    ),
    "socks4-proxy": Setup(
        "proxy.env", "socks4", environ={"ALL_PROXY": "socks4://127.0.0.1:1080"}, construct=True
    ),
    "socks5-without-socksio-even-for-no-proxy-host": Setup(
        "proxy.env",
        "socksio",
        environ={"ALL_PROXY": "socks5://127.0.0.1:1080", "NO_PROXY": "127.0.0.1"},
        construct=True,
    ),
    # --- the server or the settings: the SDK fails ---------------------------------------------
    "redirect-to-another-port": Setup(
        "url.reachable", "redirecting to {target}/memory/export", faults=("redirect={target}",)
    ),
    "server-503": Setup("api.auth", "request id req_", faults=("status=503",), outage=True),
    "server-404": Setup("api.auth", "the API has no such route", faults=("status=404",)),
    "server-closes": Setup(
        "url.reachable", "closed the connection", faults=("close",), outage=True
    ),
    "port-refused": Setup(
        "url.reachable",
        "connection refused at 127.0.0.1:",
        settings={"base_url": "{refused}"},
    ),
    "name-not-resolved": Setup(
        "url.reachable", "not resolved", settings={"base_url": "https://doctor-test.invalid"}
    ),
    "key-trailing-space": Setup(
        "key.format", "trailing whitespace", settings={"api_key": DEMO_KEY + " "}
    ),
    # --- httpx releases differ (docs/httpx-versions.md) ----------------------------------------
    "tls-cn-only-certificate": Setup(
        None,
        tls=("localhost",),
        server="cn-only",
        environ={"SSL_CERT_FILE": "{ca}"},
        settings=HTTPS_LOCALHOST,
        httpx={"<0.28": {"expect": "url.reachable", "cause": "only in its subject CN"}},
    ),
    "tls-intermediate-only-bundle": Setup(
        "url.reachable",
        "untrusted certificate",
        tls=TLS,
        server="full-chain",
        environ={"SSL_CERT_FILE": "{inter}"},
        httpx={
            "py<3.10": {"cause": "cannot link to a trusted root"},
            "py>=3.13 >=0.28": {"expect": None},
        },
    ),
    "tls-no-authority-key-identifier": Setup(
        None,
        tls=TLS,
        server="no-aki",
        environ={"SSL_CERT_FILE": "{ca}"},
        httpx={"py>=3.13 >=0.28": {"expect": "url.reachable", "cause": "strict X.509"}},
    ),
    "socks5h-even-for-no-proxy-host": Setup(
        "proxy.env",
        "socksio",
        environ={"ALL_PROXY": "socks5h://127.0.0.1:1080", "NO_PROXY": "127.0.0.1"},
        construct=True,
        httpx={"<0.28": {"cause": "refuses socks5h://"}},
    ),
    "no-proxy-url-entry": Setup(
        None,
        tls=TLS,
        environ={
            "HTTPS_PROXY": "{refused}",
            "NO_PROXY": "https://127.0.0.1:{port}",
            "SSL_CERT_FILE": "{ca}",
        },
        httpx={"<0.26": {"expect": "url.reachable", "cause": "connection refused by proxy"}},
    ),
    # Over https:// (CONNECT), as above.
    "proxy-password-with-raw-at": Setup(
        None,
        tls=TLS,
        environ={"HTTPS_PROXY": "http://user:p@ss@127.0.0.1:{proxy_port}", "SSL_CERT_FILE": "{ca}"},
        proxied=False,
        httpx={"<0.26": {"expect": "url.reachable", "cause": "first '@'"}},
    ),
    "proxy-password-partly-encoded": Setup(
        None,
        tls=TLS,
        environ={
            "HTTPS_PROXY": "http://user:p%40s^s@127.0.0.1:{basic_proxy_port}",
            "SSL_CERT_FILE": "{ca}",
        },
        httpx={"<0.26": {"expect": "url.reachable", "cause": "different password"}},
    ),
    # --- certificates: what exactly is wrong --------------------------------------------------
    "tls-missing-intermediate": Setup(
        "url.reachable",
        "the intermediate certificate",
        tls=TLS,
        server="leaf-only",
        environ={"SSL_CERT_FILE": "{ca}"},
    ),
    # Python 3.9 sees only the server's own certificate, not the chain behind it
    "tls-untrusted-root-named": Setup(
        "url.reachable",
        "chain ends at 'trustme",
        tls=TLS,
        server="full-chain",
        httpx={"py<3.10": {"cause": "cannot link to a trusted root"}},
    ),
    "tls-inspection-self-signed": Setup(
        "url.reachable", "Zscaler, a TLS-inspection product", tls=TLS, server="self-signed"
    ),
    # Through an http:// proxy the chain is read through the proxy's CONNECT tunnel.
    "tls-inspection-via-proxy": Setup(
        "url.reachable",
        "Zscaler, a TLS-inspection product",
        tls=TLS,
        server="self-signed",
        environ={"HTTPS_PROXY": "{proxy}"},
    ),
    "tls-missing-intermediate-via-proxy": Setup(
        "url.reachable",
        "the intermediate certificate",
        tls=TLS,
        server="leaf-only",
        environ={"HTTPS_PROXY": "{proxy}", "SSL_CERT_FILE": "{ca}"},
    ),
    "tls-der-bundle": Setup(
        "tls.trust_env", "DER (binary)", tls=TLS, environ={"SSL_CERT_FILE": "{der}"}, construct=True
    ),
    "tls-ssl-cert-dir-not-hashed-named": Setup(
        "url.reachable", "openssl rehash", tls=TLS, environ={"SSL_CERT_DIR": "{empty_dir}"}
    ),
    # --- the timeout is per phase: a slow handshake plus a slow answer fit, one by one --------
    "slow-handshake-and-slow-answer": Setup(
        None,
        tls=TLS,
        faults=("latency=0.8",),
        slow_handshake=0.8,
        environ={"SSL_CERT_FILE": "{ca}"},
        settings={"timeout": "1.5", "base_url": "https://127.0.0.1:{slow_port}"},
        others={"timeout.latency": "warn"},
    ),
    # --- a path in base_url is not a veto: where the API is mounted under it, the SDK works -----
    "path-where-the-api-is-mounted": Setup(
        None,
        canned="api-json",
        settings={"base_url": "{canned}/memorysync/v1"},
        others={"url.format": "warn"},
    ),
    "path-where-the-api-is-not": Setup(
        "api.auth",
        "/v1/memory/export, the exact URL the SDK calls",
        settings={"base_url": "{url}/v1"},
    ),
    # --- answers that did not come from the API --------------------------------------------
    "gateway-sign-in-401": Setup(
        "api.auth",
        "401 from Cloudflare Access (a zero-trust gateway)",
        canned="gateway-401",
        settings={"base_url": "{canned}"},
    ),
    "web-server-404-page": Setup(
        "api.auth",
        "404 from nginx (a web server)",
        canned="nginx-404",
        settings={"base_url": "{canned}"},
    ),
    "api-json-in-latin1": Setup(
        "url.reachable",
        "byte 0xE9 at offset",
        canned="latin1-json",
        settings={"base_url": "{canned}"},
    ),
    # --- environment Python's ssl reads when a context is built -------------------------------
    "ssl-keylog-file-in-missing-folder": Setup(
        "tls.trust_env",
        "SSLKEYLOGFILE",
        environ={"SSLKEYLOGFILE": "{missing}/keys/tls.log"},
        construct=True,
    ),
    "end-user-latin1": Setup("end_user.present", "U+00E9", settings={"end_user_id": "us\u00e9r_1"}),
}


MARKS = {
    "slow-handshake-and-slow-answer": pytest.mark.waits,
    "socks5-without-socksio-even-for-no-proxy-host": pytest.mark.skipif(
        not socksio_missing, reason="socksio is installed here"
    ),
}
PARAMS = [pytest.param(s, id=n, marks=MARKS.get(n, ())) for n, s in SETUPS.items()]
HTTPX_VERSIONS = [pytest.param(v, id=f"httpx{v}" if v else "here") for v in matrix_versions()]
_pythons: Dict[str, str] = {}


@pytest.fixture(params=HTTPX_VERSIONS)
def httpx(request: pytest.FixtureRequest) -> Tuple[str, Optional[str]]:
    """(installed httpx version, the interpreter holding it; None: this process's own)."""
    version: Optional[str] = request.param
    if version is None:
        return importlib.metadata.version("httpx"), None
    if version not in _pythons:
        _pythons[version] = httpx_python(version)
    return version, _pythons[version]


@pytest.fixture(scope="session")
def intermediate(ca: Any) -> Any:
    return ca.create_child_ca()


@pytest.fixture(scope="session")
def intermediate_pem(intermediate: Any, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("intermediate") / "intermediate.pem"
    intermediate.cert_pem.write_to_path(str(path))
    return str(path)


def server_certificate(kind: str, host: str, ca: Any, intermediate: Any) -> Any:
    makers = {
        "cn-only": lambda: cn_only_context(ca, host),
        "no-aki": lambda: no_aki_context(ca, host),
        "leaf-only": lambda: chain_context(intermediate, host, send_intermediate=False),
        "full-chain": lambda: chain_context(intermediate, host, send_intermediate=True),
        "self-signed": lambda: self_signed_context(host, "Zscaler Inc."),
    }
    return makers[kind]()


_NGINX_404 = (
    b"<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n"
    b"<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
CANNED = {
    "api-json": (
        200,
        {"Content-Type": "application/json", "X-Request-Id": "req_mounted"},
        b'{"user_id": 7, "memories": [], "generated_at": "2026-01-01T00:00:00Z"}',
    ),
    "gateway-401": (
        401,
        {"Content-Type": "text/html", "Server": "cloudflare", "CF-RAY": "8a1b2c3d4e5f-FRA"},
        b"<!DOCTYPE html><html><head><title>Sign in \xc2\xb7 Cloudflare Access</title></head>"
        b"<body>Sign in with your identity provider</body></html>",
    ),
    "nginx-404": (404, {"Content-Type": "text/html", "Server": "nginx/1.25.3"}, _NGINX_404),
    "latin1-json": (
        200,
        {"Content-Type": "application/json", "X-Request-Id": "req_latin1"},
        '{"user_id": 1, "memories": [{"text": "caf\u00e9"}], "generated_at": "2026-01-01"}'.encode(
            "latin-1"
        ),
    ),
}


class SlowStart(RawServer):
    """Forwards to 127.0.0.1:``port`` after holding the client's first bytes ``delay`` seconds."""

    def __init__(self, port: int, delay: float) -> None:
        super().__init__(self._forward)
        self.target, self.delay = port, delay

    def _forward(self, conn: socket.socket, stop: threading.Event) -> None:
        with conn:
            try:
                if stop.wait(self.delay):
                    return
                upstream = socket.create_connection(("127.0.0.1", self.target), timeout=2)
                pipe(conn, upstream, stop)
            except OSError:
                pass


def _values(
    stack: ExitStack, setup: Setup, tmp_path: Path, paths: Mapping[str, str]
) -> Dict[str, Any]:
    """Fill the templates this setup uses, starting the helper servers it needs."""
    used = " ".join([*setup.environ.values(), *setup.faults, *map(str, setup.settings.values())])
    empty = tmp_path / "empty-capath"
    empty.mkdir()
    not_pem = tmp_path / "notes.txt"
    not_pem.write_text("not a certificate\n")
    values: Dict[str, Any] = {
        **paths,
        "not_pem": str(not_pem),
        "missing": str(tmp_path / "missing-bundle.pem"),
        "empty_dir": str(empty),
        "refused": f"http://127.0.0.1:{free_port()}",
    }
    if "{proxy}" in used or "{proxy_port}" in used:
        proxy = stack.enter_context(Proxy())
        values.update(proxy=proxy.address, proxy_port=proxy.port, proxy_seen=proxy.seen)
    if "{basic_proxy_port}" in used:
        values["basic_proxy_port"] = stack.enter_context(Proxy(mode="basic")).port
    if "{auth_proxy}" in used:
        values["auth_proxy"] = stack.enter_context(Proxy(mode="auth")).address
    if setup.canned:
        status, headers, body = CANNED[setup.canned]
        server = stack.enter_context(
            HTTPServer(lambda handler: send(handler, status, body, headers))
        )
        values["canned"] = f"http://127.0.0.1:{server.port}"
    if "{target}" in used:
        values["target"] = stack.enter_context(Sandbox()).url
    return values


def _fill(template: Optional[str], values: Mapping[str, Any]) -> Optional[str]:
    return None if template is None else template.format(**values)


def assert_parity(
    report: Report,
    outcome: SdkOutcome,
    expect: Optional[str],
    cause: str = "",
    outage: bool = False,
) -> None:
    rows = table(report)
    roundtrip = row(report, "sdk.roundtrip")
    if expect is None:
        assert not outcome.raised, f"the setup should work for the SDK, which {outcome}"
        assert report.exit_code == 0, f"false alarm: the SDK works here\n{rows}"
        assert roundtrip.status is Status.PASS, rows
        return
    assert outcome.raised, f"the setup should break the SDK, which {outcome}"
    # A service failure is "could not verify" (4); anything the user can fix is 1.
    assert report.exit_code == (4 if outage else 1), (
        f"the SDK {outcome}; exit {report.exit_code}\n{rows}"
    )
    failing = row(report, expect)
    assert failing.status is Status.FAIL, f"{expect} should fail\n{rows}"
    assert cause in text(failing), f"{expect} should name {cause!r}\n{rows}"
    if roundtrip.status is not Status.SKIP:  # skipped behind url.format for a path in base_url
        assert roundtrip.status is Status.FAIL, rows
        # The doctor's SDK child met the same exception as the SDK in this process.
        assert roundtrip.result.details["exception"] == outcome.exception, rows
        assert roundtrip.result.details["stage"] == outcome.stage, rows


@pytest.mark.parametrize("setup", PARAMS)
def test_doctor_fails_exactly_when_the_sdk_fails(
    setup: Setup,
    httpx: Tuple[str, Optional[str]],
    tmp_path: Path,
    ca: Any,
    ca_pem: str,
    ca_dir: str,
    intermediate: Any,
    intermediate_pem: str,
    server_context: ContextFactory,
) -> None:
    version, python = httpx
    setup = setup.for_httpx(version, ".".join(map(str, sys.version_info[:3])))
    with ExitStack() as stack:
        values = _values(
            stack,
            setup,
            tmp_path,
            {
                "ca": ca_pem,
                "ca_dir": ca_dir,
                "inter": intermediate_pem,
                "der": der_file(ca, tmp_path / "ca.der"),
            },
        )
        if setup.server:
            context = server_certificate(setup.server, setup.tls[0], ca, intermediate)
        else:
            context = server_context(*setup.tls, **setup.cert) if setup.tls else None
        faults = [_fill(f, values) or "" for f in setup.faults]
        sandbox = stack.enter_context(Sandbox(faults=faults, ssl_context=context))
        values.update(url=sandbox.url, port=sandbox.port)
        if setup.slow_handshake:
            values["slow_port"] = stack.enter_context(
                SlowStart(sandbox.port, setup.slow_handshake)
            ).port
        settings = {
            "api_key": DEMO_KEY,
            "base_url": "{url}",
            "end_user_id": DEMO_END_USER,
            "project_id": DEMO_PROJECT,
            "timeout": "1",
            **setup.settings,
        }
        filled = {name: _fill(value, values) for name, value in settings.items()}
        config = sandbox_config((filled["base_url"] or "").rstrip("/"), filled)
        environ = minimal_environ(**{k: v.format(**values) for k, v in setup.environ.items()})

        outcome = sdk_outcome(environ, sdk_arguments(config, environ), python)
        report = run_doctor(config, environ, tmp_path, python=python)

    assert sandbox.handler_errors == []
    assert_parity(report, outcome, setup.expect, setup.cause.format(**values), setup.outage)
    assert (outcome.stage == "construct") is setup.construct, str(outcome)
    if "proxy_seen" in values and setup.proxied:
        # The SDK here, the doctor's probe and its SDK child all went through the proxy: the
        # setup passes or fails because of the proxy, not because of a bypass.
        assert len(values["proxy_seen"]) >= 3, values["proxy_seen"]
    for check_id, status in setup.others.items():
        assert row(report, check_id).status.value == status, f"{check_id}\n{table(report)}"


def test_every_break_has_a_cause() -> None:
    assert set(BREAK_CAUSES) == set(BREAKS)


@pytest.mark.parametrize("name", DEMO_BREAKS)
def test_every_demo_break_fails_the_sdk_and_its_check(name: str, tmp_path: Path) -> None:
    with Sandbox(faults=BREAKS[name].faults) as sandbox:
        config = demo_config(sandbox.url, name)
        # Shorter than the demo's 2 s timeout, so the slow break (latency 3 s) times out sooner.
        timeout = "0.5" if name == "slow" else "1"
        config = replace(config, settings={**config.settings, "timeout": timeout})
        environ = minimal_environ()
        outcome = sdk_outcome(environ, sdk_arguments(config, environ))
        report = run_doctor(config, environ, tmp_path)
    assert_parity(report, outcome, BREAKS[name].expect, BREAK_CAUSES[name], name == "server-error")


def test_a_rate_limit_warns_while_the_sdk_raises_rate_limit_error(tmp_path: Path) -> None:
    """The documented exception to "exit 1 iff the SDK raised": 429 is not a misconfiguration."""
    with Sandbox(faults=["status=429"]) as sandbox:
        config = sandbox_config(
            sandbox.url,
            {
                "api_key": DEMO_KEY,
                "base_url": sandbox.url,
                "end_user_id": DEMO_END_USER,
                "timeout": "1",
            },
        )
        environ = minimal_environ()
        outcome = sdk_outcome(environ, sdk_arguments(config, environ))
        report = run_doctor(config, environ, tmp_path)
    assert isinstance(outcome.error, memorysync.RateLimitError), str(outcome)
    assert outcome.error.retry_after_seconds == 30
    assert report.exit_code == 0, table(report)
    auth = row(report, "api.auth")
    assert auth.status is Status.WARN and "retry after 30 s" in auth.result.summary
    roundtrip = row(report, "sdk.roundtrip")
    assert roundtrip.status is Status.WARN
    assert roundtrip.result.details["exception"] == "RateLimitError"
    assert [r.id for r in report.findings if r.status in (Status.FAIL, Status.ERROR)] == []


@pytest.mark.parametrize("proxied", [False, True], ids=["direct", "via-proxy"])
def test_a_requests_bundle_that_does_not_trust_the_server_is_not_offered_as_the_fix(
    proxied: bool, tmp_path: Path, server_context: ContextFactory
) -> None:
    """REQUESTS_CA_BUNDLE names a bundle without the server's CA: exporting it as SSL_CERT_FILE
    would not help, so no row says to, and the round trip's root cause repeats url.reachable's
    own words (only tls.trust_env, having tried that bundle, may offer it)."""
    import trustme

    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    with ExitStack() as stack:
        sandbox = stack.enter_context(Sandbox(ssl_context=server_context(*TLS)))
        environ = minimal_environ(REQUESTS_CA_BUNDLE=str(other))
        if proxied:
            environ["HTTPS_PROXY"] = stack.enter_context(Proxy()).address
        settings = {"api_key": DEMO_KEY, "base_url": sandbox.url, "end_user_id": DEMO_END_USER}
        config = sandbox_config(sandbox.url, settings)
        outcome = sdk_outcome(environ, sdk_arguments(config, environ))
        report = run_doctor(config, environ, tmp_path)
    assert outcome.error is not None and "CERTIFICATE_VERIFY_FAILED" in str(outcome.error)
    assert row(report, "tls.trust_env").status is Status.PASS, table(report)
    reachable, roundtrip = row(report, "url.reachable"), row(report, "sdk.roundtrip")
    assert reachable.status is Status.FAIL and roundtrip.status is Status.FAIL, table(report)
    assert f"SSL_CERT_FILE={other}" not in table(report)
    assert (
        str(roundtrip.result.fix) == f"root cause: see url.reachable ({reachable.result.summary})"
    )
