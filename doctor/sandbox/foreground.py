"""``memorysync-doctor sandbox``: serve in the foreground until Ctrl+C, with a usable banner."""

from __future__ import annotations

import contextlib
import ipaddress
import shlex
import signal
import threading
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, List, Optional, Union

from ..mask import mask_key
from .accounts import DEMO_END_USER, KEY_PREFIXES, Accounts, KeyRecord, is_demo_key
from .api import ROUTES
from .faults import Fault
from .lifecycle import Sandbox
from .tls import DESCRIPTIONS, Certificate, ServedTls

_OTHER_KEYS_SHOWN = 5


def run_foreground(
    host: str,
    port: int,
    faults: Iterable[Union[Fault, str]],
    accounts: Optional[Accounts],
    environment: str,
    allow_remote: bool,
    echo: Callable[[str], None],
    stop: Optional[threading.Event] = None,
    tls_dir: Optional[Path] = None,
    certificate: Optional[Certificate] = None,
) -> int:
    """Serve until KeyboardInterrupt (or ``stop`` is set) and return 0. With ``certificate``,
    serve HTTPS presenting it, from a throw-away CA whose certificate is written to ``tls_dir``
    when the client is meant to trust it.

    Raises ValueError for a refused or unusable address, bad faults or a bad environment.
    """
    stop = stop or threading.Event()
    served = None
    if certificate is not None:
        if tls_dir is None:
            raise ValueError("serving HTTPS needs a directory for its CA file")
        from .tls import serve

        served = serve(tls_dir, host, certificate)
    sandbox = Sandbox(
        host,
        port,
        faults,
        accounts,
        environment,
        allow_remote=allow_remote,
        log=echo,
        ssl_context=served.context if served else None,
    )
    try:
        sandbox.start()
    except OSError as exc:
        raise ValueError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; "
            "pick another --port (0 picks a free one)"
        ) from None
    try:
        with _ctrl_c_stops(stop):
            for line in banner(sandbox, served):
                echo(line)
            _idle(stop)
        echo("Sandbox stopped.")
    except KeyboardInterrupt:
        echo("Sandbox stopped.")
    finally:
        sandbox.stop()
    return 0


@contextlib.contextmanager
def _ctrl_c_stops(stop: threading.Event) -> Iterator[None]:
    """Ctrl+C sets ``stop`` rather than raising KeyboardInterrupt: an exception raised while the
    interpreter runs a finalizer (``__del__``, a weakref callback) is printed and dropped, and
    the press with it; a handler that only sets the event cannot be lost that way. A second
    press while stopping raises, as Ctrl+C does. Only the main thread receives signals."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def pressed(signum: int, frame: Any) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    previous = signal.signal(signal.SIGINT, pressed)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None else signal.SIG_DFL)


def _export(name: str, value: str) -> str:
    return f"  export {name}={shlex.quote(value)}"


def _idle(stop: threading.Event) -> None:
    while not stop.wait(0.2):  # short waits keep Ctrl+C prompt on every platform
        pass


def banner(sandbox: Sandbox, served: Optional[ServedTls] = None) -> List[str]:
    """The URL, credentials that work against it, and the active faults."""
    environment = sandbox.environment
    prefix = KEY_PREFIXES[environment]
    lines = [
        f"MemorySync sandbox listening on {sandbox.url} "
        f"(environment: {environment}, takes {prefix} keys)",
    ]
    if not ipaddress.ip_address(sandbox.address).is_loopback:
        lines.append(f"Warning: bound to {sandbox.address}, so other machines can reach it.")
    usable = sandbox.accounts.sample(environment)
    if usable is None:
        lines.append(f"No usable {prefix} key in the accounts given: every request is refused.")
    else:
        # Complete shell lines, ready to paste (then `memorysync-doctor check` works).
        lines += ["Point a client at it with:", _export("MEMORYSYNC_BASE_URL", sandbox.url)]
        if served is not None and served.ca_file is not None:
            # the SDK (httpx) trusts SSL_CERT_FILE, not REQUESTS_CA_BUNDLE
            lines.append(_export("SSL_CERT_FILE", str(served.ca_file)))
        elif served is not None:
            lines.append("  # (no SSL_CERT_FILE: the point is a certificate that no bundle trusts)")
        if is_demo_key(usable.key):
            lines.append(_export("MEMORYSYNC_API_KEY", usable.key))
        else:  # a key from the user's file is never printed whole
            lines.append(
                f"  # export MEMORYSYNC_API_KEY=<your key {_show(usable.key)} from --accounts>"
            )
        end_user = min(usable.end_users) if usable.end_users else DEMO_END_USER
        lines.append(_export("MEMORYSYNC_END_USER_ID", end_user))
        if usable.projects:
            lines.append(_export("MEMORYSYNC_PROJECT_ID", usable.projects[0]))
    others = [_describe(r, environment) for r in sandbox.accounts if r is not usable]
    if others:
        more = len(others) - _OTHER_KEYS_SHOWN
        lines.append(
            "Other keys: "
            + ", ".join(others[:_OTHER_KEYS_SHOWN])
            + (f" and {more} more" if more > 0 else "")
        )
    faults = ", ".join(fault.spec for fault in sandbox.faults) or "none"
    lines.append(f"Faults: {faults}")
    if served is not None:
        lines.append(f"Certificate: {served.certificate.value}, {DESCRIPTIONS[served.certificate]}")
    lines.append(f"Routes: {', '.join(ROUTES)}")
    lines.append("Press Ctrl+C to stop.")
    return lines


def _describe(record: KeyRecord, environment: str) -> str:
    if record.environment != environment:
        note = f"{record.environment} environment: refused here"
    elif record.revoked:
        note = "revoked"
    else:
        note = "valid"
    return f"{_show(record.key)} ({note})"


def _show(key: str) -> str:
    # The built-in keys are public test data; keys from a user's file might be copied from
    # somewhere real, so only their tail is shown.
    if is_demo_key(key):
        return key
    return mask_key(key)
