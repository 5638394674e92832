"""Runs in a child process of the target interpreter: what the application would see of the SDK.

Standard library only, and no annotations that need ``typing`` (it may run under another
interpreter, next to the application's own modules). Started as ``python -c`` so the working
directory is on ``sys.path`` exactly as for an application started from here; the child's own
machinery is imported before that entry is put back, so a local ``json.py`` or ``resource.py``
cannot run inside the process that is handed the key.

Protocol, on private copies of stdin and stdout (fd 0 and 1 then point at the null device, so a
module that prints or reads while being imported cannot break it):
- the child writes ``{"runtime": {"python": [3, 11, 7], "httpx": "0.25.2"}}`` before it imports
  anything of the application's (the doctor models httpx by this version), then one JSON line
  ``{"install": {...}}``;
- the parent writes request lines ``{"id": N, "deadline_s": S, "request": {settings}}`` (never
  argv or the environment, where other processes could read the key), with ``"environ"`` when
  the setup's environment differs from the child's own; the child answers each with
  ``{"id": N, "roundtrip": {...}}``.
End of input (the parent closed the pipe, or died) ends the child at once, whatever it is doing
(importing the SDK included), unless something holds the GIL: the parent kills a child busy or
still importing when it lets it go. So do the deadline the parent sent, and the child's own
lifetime (argv[1], in seconds). With argv[2] "die-with-parent", the child asks Linux to kill it
when its parent dies (PR_SET_PDEATHSIG): that works even if this interpreter is stuck holding its
GIL.
"""

import sys

_APP_PATH = sys.path.pop(0) if sys.path and sys.path[0] in ("", ".") else None

# importlib.resources: certifi.where() imports it when a client is built, and clients are built
# on threads; it is imported here, before any thread starts.
import importlib.metadata  # noqa: E402
import importlib.resources  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import queue  # noqa: E402
import re  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

try:
    import resource
except ImportError:  # not on Windows
    resource = None  # type: ignore[assignment]
if sys.platform.startswith("linux"):
    import ctypes
    import signal
else:
    ctypes = None  # type: ignore[assignment]

MEMORY_LIMIT = 1 << 30
MAX_MESSAGE = 2000
# Round trips run on a fixed number of threads (CONCURRENT_CALLS), whatever the number of setups
# one child serves, so their stacks fit the address-space limit above. 4 MiB, not less: from
# Python 3.12 C code recurses to a fixed depth whatever the stack (json decoding a body nested
# 500,000 deep segfaults Python 3.13 on a 1 MiB thread stack instead of raising RecursionError).
THREAD_STACK = 4 << 20
CONCURRENT_CALLS = 32
_write_lock = threading.Lock()


def private_streams():  # type: ignore[no-untyped-def]
    """Keep stdin and stdout for the protocol; give everyone else the null device."""
    proto_in = os.fdopen(os.dup(0), "r", encoding="utf-8", errors="replace")
    proto_out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.close(null)
    sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115
    sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
    return proto_in, proto_out


def emit(stream, obj):  # type: ignore[no-untyped-def]
    with _write_lock:
        stream.write(json.dumps(obj) + "\n")
        stream.flush()


def chain(exc):  # type: ignore[no-untyped-def]
    """The exception and what it wraps (__cause__, __context__), at most 10 deep."""
    seen = []  # type: list
    while exc is not None and exc not in seen and len(seen) < 10:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


def shown(text, scrub):  # type: ignore[no-untyped-def]
    """``text`` with the key's forms replaced by its mask (the parent sends both with the
    request), and only then cut: a piece of a cut key would no longer be recognised."""
    forms = scrub.get("forms") if isinstance(scrub, dict) else None
    if isinstance(forms, list):
        for form in forms:
            if isinstance(form, str) and form:
                text = text.replace(form, str(scrub.get("mask", "")))
    return text[:MAX_MESSAGE]


def exception_facts(exc, scrub=None):  # type: ignore[no-untyped-def]
    links = chain(exc)[1:]
    cause = links[0] if links else None
    request_id = getattr(exc, "request_id", None)
    return {
        "classes": [cls.__name__ for cls in type(exc).__mro__],
        "module": type(exc).__module__,
        "message": shown(str(exc), scrub),
        "status_code": getattr(exc, "status_code", None),
        "request_id": shown(request_id, scrub) if isinstance(request_id, str) else None,
        "retry_after": getattr(exc, "retry_after_seconds", None),
        "cause": shown(type(cause).__name__ + ": " + str(cause), scrub) if cause else None,
        "cause_classes": [cls.__name__ for link in links for cls in type(link).__mro__],
        "verify_code": next(
            (getattr(x, "verify_code", None) for x in links if hasattr(x, "verify_code")), None
        ),
        "verify_message": next(
            (
                str(x.verify_message)[:MAX_MESSAGE]
                for x in links
                if getattr(x, "verify_message", None)
            ),
            None,
        ),
        "errno": next((x.errno for x in links if isinstance(getattr(x, "errno", None), int)), None),
        "filename": next(
            (str(x.filename)[:MAX_MESSAGE] for x in links if getattr(x, "filename", None)), None
        ),
        "ssl_reason": next(
            (
                str(x.reason)[:200]
                for x in links
                if type(x).__module__ == "ssl" and getattr(x, "reason", None)
            ),
            None,
        ),
    }


def runtime_facts():  # type: ignore[no-untyped-def]
    """What the doctor's models of httpx depend on, read from metadata (httpx is not imported)."""
    try:
        httpx = importlib.metadata.version("httpx")
    except Exception:
        httpx = None
    return {"python": list(sys.version_info[:3]), "httpx": httpx}


def located_facts():  # type: ignore[no-untyped-def]
    """What is known of the SDK without running any of its code: the distribution's metadata and
    the file `import memorysync` would load (sent before the import, which may hang)."""
    metadata = importlib.metadata
    requires = []  # type: list
    installed = {}  # type: dict
    info = {  # type: dict
        "python": list(sys.version_info[:3]),
        "executable": sys.executable,
        "platform": sys.platform,
        "dist_version": None,
        "requires": requires,
        "installed": installed,
        "dist_location": None,
    }
    try:
        dist = metadata.distribution("memorysync")
        info["dist_version"] = dist.version
        requires.extend(dist.requires or [])
        info["dist_location"] = str(dist.locate_file("memorysync"))
    except Exception:  # not installed, or broken metadata: the import below tells more
        pass
    for requirement in requires:
        match = re.match(r"[A-Za-z0-9_.\-]+", str(requirement))
        if not match:
            continue
        try:
            installed[match.group(0)] = metadata.version(match.group(0))
        except Exception:
            installed[match.group(0)] = None
    try:
        spec = importlib.util.find_spec("memorysync")
        info["origin"] = spec.origin if spec else None
    except Exception as exc:
        info["origin"] = None
        info["find_error"] = type(exc).__name__ + ": " + str(exc)
    if info.get("origin"):
        info["origin_via"] = path_entry_source(info["origin"])
    return info


def install_facts(located):  # type: ignore[no-untyped-def]
    """``located`` completed by importing the SDK."""
    info = dict(located)
    try:
        import memorysync

        info["import_ok"] = True
        ssl = sys.modules.get("ssl")  # loaded by httpx: the OpenSSL the SDK's TLS runs on
        info["openssl"] = getattr(ssl, "OPENSSL_VERSION", None)
        info["module_version"] = getattr(memorysync, "__version__", None)
        info["module_file"] = getattr(memorysync, "__file__", None)
    except BaseException as exc:  # a broken install can raise anything
        info["import_ok"] = False
        info["import_error"] = (type(exc).__name__ + ": " + str(exc))[:MAX_MESSAGE]
    return info


def path_entry_source(origin):  # type: ignore[no-untyped-def]
    """What put on sys.path the folder ``origin`` was found in: {"kind": "cwd" | "pythonpath" |
    "pth", "entry": folder, "file": the .pth file}; None for the interpreter's own folders."""
    folder = os.path.dirname(origin)
    if os.path.basename(origin).startswith("__init__."):
        folder = os.path.dirname(folder)  # a package: its parent folder is the sys.path entry

    def same(a, b):  # type: ignore[no-untyped-def]
        try:
            return os.path.realpath(a or ".") == os.path.realpath(b or ".")
        except (OSError, ValueError):
            return False

    if _APP_PATH is not None and same(folder, os.getcwd()):
        return {"kind": "cwd", "entry": folder}
    for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep):
        if entry and same(entry, folder):
            return {"kind": "pythonpath", "entry": entry}
    import site

    places = list(getattr(site, "getsitepackages", lambda: [])())
    places.append(getattr(site, "getusersitepackages", lambda: "")())
    for place in places:
        try:
            names = sorted(n for n in os.listdir(place) if n.endswith(".pth"))
        except OSError:
            continue
        for name in names:
            try:
                with open(os.path.join(place, name), encoding="utf-8", errors="replace") as pth:
                    lines = pth.read(1 << 16).splitlines()
            except OSError:
                continue
            entries = [ln.strip() for ln in lines if not ln.startswith(("#", "import"))]
            if any(e and same(os.path.join(place, e), folder) for e in entries):
                return {"kind": "pth", "entry": folder, "file": os.path.join(place, name)}
    return None


class EnvironLock:
    """Clients built in the child's own environment are built side by side (each loads its CA
    bundle, tens of milliseconds that need no GIL); one built in another environment is built
    alone, while os.environ is swapped."""

    def __init__(self):  # type: ignore[no-untyped-def]
        self.changed = threading.Condition()
        self.sharing = 0  # clients being built in the child's own environment
        self.swapped = False  # os.environ holds another setup's environment
        self.queued = 0  # builds waiting to swap it (they go before new sharing ones)

    def build(self, environ, make):  # type: ignore[no-untyped-def]
        with self.changed:
            if environ is None:
                while self.swapped or self.queued:
                    self.changed.wait()
                self.sharing += 1
            else:
                self.queued += 1
                while self.swapped or self.sharing:
                    self.changed.wait()
                self.queued -= 1
                self.swapped = True
        try:
            if environ is None:
                return make()
            saved = dict(os.environ)
            try:
                os.environ.clear()
                os.environ.update(environ)
                return make()
            finally:
                os.environ.clear()
                os.environ.update(saved)
        finally:
            with self.changed:
                if environ is None:
                    self.sharing -= 1
                else:
                    self.swapped = False
                self.changed.notify_all()


_environ_lock = EnvironLock()
# Clients are built one at a time: building one loads its CA bundle, and OpenSSL 3 spends half as
# much CPU again on each when two threads load at once (36 ms of CPU a client alone, over 50 ms
# side by side, measured on OpenSSL 3.0). A run of many profiles has one child per core instead.
# No new wait comes of it: a build can hang only on its environment (a CA file or SSLKEYLOGFILE
# that blocks), where every build in it would hang alike, and one in another environment is
# built alone already (EnvironLock).
_building = threading.Lock()


# What httpx builds an SSL context from, besides its arguments: the SSL_CERT_FILE, SSL_CERT_DIR and
# SSLKEYLOGFILE variables (docs/httpx-versions.md), and the files they name.
_shared_contexts = {}  # type: dict
SHARED_CONTEXTS = 8


def share_ssl_contexts():  # type: ignore[no-untyped-def]
    """A client built like an earlier one takes that one's SSL context instead of building its
    own: httpx builds one for every client (and every proxy mount), and each loads the CA bundle,
    30-50 ms of CPU, which a run of many profiles spent for each. Alike means the same arguments,
    the same SSL* variables, and the files they name unchanged; the first client of each kind is
    built exactly as the SDK builds it, and one that raises is not kept (the next raises alike).
    Sharing one context is what a single httpx client already does across its connections.
    Called with builds serialised (_building)."""
    module = sys.modules.get("httpx._transports.default")
    create = getattr(module, "create_ssl_context", None)
    if create is None or getattr(create, "shares", False):
        return

    def shared(*args, **kwargs):  # type: ignore[no-untyped-def]
        variables = sorted((k, v) for k, v in os.environ.items() if k.startswith("SSL"))
        key = (args, tuple(sorted(kwargs.items())), tuple(variables))
        key += tuple(file_signature(value) for _, value in variables)
        try:
            context = _shared_contexts.get(key)
        except TypeError:  # an argument that cannot be a key (a mutable one): not shared
            return create(*args, **kwargs)
        if context is None:
            context = create(*args, **kwargs)
            if len(_shared_contexts) >= SHARED_CONTEXTS:  # one child serves many setups
                _shared_contexts.pop(next(iter(_shared_contexts)))
            _shared_contexts[key] = context
        return context

    shared.shares = True  # type: ignore[attr-defined]
    module.create_ssl_context = shared  # type: ignore[union-attr]


def file_signature(path):  # type: ignore[no-untyped-def]
    try:
        status = os.stat(path)
    except (OSError, ValueError):
        return None
    return (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns)


def construct(memorysync, request, environ):  # type: ignore[no-untyped-def]
    """The client, built while os.environ is exactly ``environ`` when one is given: httpx reads
    its proxy and CA variables when the client is created, so one child serves many setups."""

    def make():  # type: ignore[no-untyped-def]
        return memorysync.MemorySyncClient(
            api_key=request["api_key"],
            base_url=request["base_url"],
            end_user_id=request.get("end_user_id"),
            project_id=request.get("project_id"),
            timeout=request["timeout"],
        )

    with _building:
        share_ssl_contexts()
        return _environ_lock.build(environ, make)


def roundtrip(request, environ=None):  # type: ignore[no-untyped-def]
    started = time.monotonic()
    try:
        import memorysync
    except BaseException as exc:
        return {"stage": "import", "error": exception_facts(exc)}
    try:
        client = construct(memorysync, request, environ)
    except BaseException as exc:
        return {"stage": "construct", "error": exception_facts(exc, request.get("scrub"))}
    try:
        response = client.export_all()
        return {
            "stage": "ok",
            "user_id": response.user_id,
            "memories": len(response.memories),
            "elapsed_ms": round((time.monotonic() - started) * 1000, 1),
        }
    except BaseException as exc:
        return {
            "stage": "call",
            "error": exception_facts(exc, request.get("scrub")),
            "elapsed_ms": round((time.monotonic() - started) * 1000, 1),
        }
    finally:
        client.close()


def serve(line, proto_out):  # type: ignore[no-untyped-def]
    try:
        message = json.loads(line)
    except ValueError:
        return
    deadline_s = message.get("deadline_s")
    timer = None
    if isinstance(deadline_s, (int, float)) and deadline_s > 0:
        # The child's own deadline: a round trip still running when its run is over ends the
        # child, so it never outlives the run it serves (even if the parent could not kill it).
        timer = threading.Timer(deadline_s, os._exit, args=(0,))
        timer.daemon = True
        timer.start()
    environ = message.get("environ")
    result = roundtrip(message["request"], environ if isinstance(environ, dict) else None)
    if timer is not None:
        timer.cancel()
    emit(proto_out, {"id": message.get("id"), "roundtrip": result})


def bound_by_parent(argv):  # type: ignore[no-untyped-def]
    """The child's own limits: a lifetime, and the parent-death signal where there is one."""
    try:
        lifetime = float(argv[1])
    except (IndexError, ValueError):
        lifetime = 0
    if lifetime > 0:
        timer = threading.Timer(lifetime, os._exit, args=(0,))
        timer.daemon = True
        timer.start()
    if ctypes is not None and argv[2:3] == ["die-with-parent"]:
        # A parent that died before this call closed our input: that ends us all the same.
        try:  # noqa: SIM105
            ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG
        except Exception:
            pass  # not available: end of input and the deadlines still end us


def main():  # type: ignore[no-untyped-def]
    bound_by_parent(sys.argv)
    proto_in, proto_out = private_streams()
    threading.stack_size(THREAD_STACK)
    # Code run at interpreter start-up (sitecustomize, .pth files) may have written a partial
    # line to stdout already: end it, so the first message stands on a line of its own.
    proto_out.write("\n")
    if resource is not None:
        try:  # noqa: SIM105  (contextlib is not imported in the child)
            resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
        except Exception:
            pass  # not allowed here: the parent's deadline still bounds us
    if _APP_PATH is not None:
        sys.path.insert(0, _APP_PATH)  # from here on, imports resolve as the application's do
    emit(proto_out, {"runtime": runtime_facts()})
    requests = queue.Queue()  # type: queue.Queue

    def work():  # type: ignore[no-untyped-def]
        while True:
            serve(requests.get(), proto_out)

    def read():  # type: ignore[no-untyped-def]
        workers = 0
        for line in proto_in:
            if not line.strip():
                break
            requests.put(line)
            # A worker per request, up to CONCURRENT_CALLS: one setup's run starts one thread,
            # not the lot (each start would hold up that one's round trip).
            if workers < CONCURRENT_CALLS:
                try:
                    threading.Thread(target=work, daemon=True).start()
                    workers += 1
                except RuntimeError:  # no room for another thread's stack: serve with those
                    if not workers:
                        os._exit(1)  # none at all: the parent reports the child as gone
                    workers = CONCURRENT_CALLS
        os._exit(0)  # end of input: the parent is done with us, or gone

    # Input is read from here on: its end ends the child even while the SDK's import hangs
    # (unless it holds the GIL: then the parent kills it). Round trips asked for meanwhile start
    # at once, waiting for the import only where they need it.
    threading.Thread(target=read, daemon=True).start()
    located = located_facts()
    emit(proto_out, {"located": located})
    try:  # noqa: SIM105
        import memorysync  # noqa: F401  (install_facts reports a failure; this only warms it)
    except BaseException:
        pass
    emit(proto_out, {"install": install_facts(located)})
    threading.Event().wait()  # the reader ends the process


main()
