"""Runs in a child process of the target interpreter: what the application would see of the SDK.

Standard library only (it may run under another interpreter). Started as ``python -c`` so the
working directory is first on sys.path, exactly as for an application started from here.
Protocol: one JSON line ``{"install": ...}``; then it reads one JSON line of settings from stdin
(never argv or the environment, where other processes could read the key) and answers with one
``{"roundtrip": ...}`` line. An empty line means "no round trip": it exits.
"""

import json
import sys
import time
from typing import Any, Dict

MEMORY_LIMIT = 1 << 30
MAX_MESSAGE = 2000


def emit(obj: Dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def exception_facts(exc: BaseException) -> Dict[str, Any]:
    cause = exc.__cause__ or exc.__context__
    return {
        "classes": [cls.__name__ for cls in type(exc).__mro__],
        "module": type(exc).__module__,
        "message": str(exc)[:MAX_MESSAGE],
        "status_code": getattr(exc, "status_code", None),
        "request_id": getattr(exc, "request_id", None),
        "retry_after": getattr(exc, "retry_after_seconds", None),
        "cause": (type(cause).__name__ + ": " + str(cause))[:MAX_MESSAGE] if cause else None,
    }


def install_facts() -> Dict[str, Any]:
    import importlib.util
    import re
    from importlib import metadata

    requires: list = []
    installed: Dict[str, Any] = {}
    info: Dict[str, Any] = {
        "python": list(sys.version_info[:3]),
        "executable": sys.executable,
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
    except metadata.PackageNotFoundError:
        pass
    for requirement in requires:
        match = re.match(r"[A-Za-z0-9_.\-]+", str(requirement))
        if not match:
            continue
        try:
            installed[match.group(0)] = metadata.version(match.group(0))
        except metadata.PackageNotFoundError:
            installed[match.group(0)] = None
    try:
        spec = importlib.util.find_spec("memorysync")
        info["origin"] = spec.origin if spec else None
    except Exception as exc:
        info["origin"] = None
        info["find_error"] = type(exc).__name__ + ": " + str(exc)
    try:
        import memorysync

        info["import_ok"] = True
        info["module_version"] = getattr(memorysync, "__version__", None)
        info["module_file"] = getattr(memorysync, "__file__", None)
    except BaseException as exc:  # a broken install can raise anything
        info["import_ok"] = False
        info["import_error"] = (type(exc).__name__ + ": " + str(exc))[:MAX_MESSAGE]
    return info


def roundtrip(request: Dict[str, Any]) -> Dict[str, Any]:
    import memorysync

    started = time.monotonic()
    try:
        client = memorysync.MemorySyncClient(
            api_key=request["api_key"],
            base_url=request["base_url"],
            end_user_id=request.get("end_user_id"),
            project_id=request.get("project_id"),
            timeout=request["timeout"],
        )
    except BaseException as exc:
        return {"ok": False, "stage": "construct", "error": exception_facts(exc)}
    try:
        response = client.export_all()
        return {
            "ok": True,
            "user_id": response.user_id,
            "memories": len(response.memories),
            "elapsed_ms": round((time.monotonic() - started) * 1000, 1),
        }
    except BaseException as exc:
        return {
            "ok": False,
            "stage": "call",
            "error": exception_facts(exc),
            "elapsed_ms": round((time.monotonic() - started) * 1000, 1),
        }
    finally:
        client.close()


def request_waiting() -> bool:
    """Has the parent already written the round-trip request (it usually has, in a full run)?"""
    try:
        import select

        return bool(select.select([sys.stdin], [], [], 0)[0])
    except (ImportError, OSError, ValueError):
        return False  # no select on this platform's pipes: read it after the install facts


def main() -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    except Exception:
        pass  # not on this platform: the parent's deadline still bounds us
    try:
        import memorysync  # noqa: F401  (install_facts reports a failure; this only warms it)

        imported = True
    except BaseException:
        imported = False
    box: Dict[str, Any] = {}
    call = None
    line = sys.stdin.readline() if imported and request_waiting() else None
    if line is not None and not line.strip():
        return  # end of input: the parent is done with us
    if line:
        # The round trip is mostly waiting on the network: start it before the metadata work.
        import threading

        request = json.loads(line)
        call = threading.Thread(target=lambda: box.update(result=roundtrip(request)), daemon=True)
        call.start()
    info = install_facts()
    emit({"install": info})
    if call is not None:
        call.join()
        emit({"roundtrip": box["result"]})
        return
    if not info.get("import_ok"):
        return
    line = sys.stdin.readline()
    if line.strip():
        emit({"roundtrip": roundtrip(json.loads(line))})


main()
