"""``sandbox --tls``: serve HTTPS with a certificate from a throw-away certificate authority, the
way a corporate TLS-inspecting proxy or a self-signed server presents itself to the SDK."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Tuple


def self_signed(directory: Path, host: str) -> Tuple[ssl.SSLContext, Path]:
    """A server context for ``host`` and the CA file a client must trust (SSL_CERT_FILE)."""
    try:
        import trustme
    except ImportError:
        raise ValueError(
            "--tls needs the trustme package: pip install 'memorysync-doctor[tls]'"
        ) from None
    authority = trustme.CA()
    names = sorted({host, "127.0.0.1", "localhost"})
    certificate = authority.issue_cert(*names)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate.configure_cert(context)
    ca_file = directory / "memorysync-sandbox-ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    return context, ca_file
