"""Built-in checks register by being imported here, one module per topic, in report order."""
# ruff: noqa: I001  (the import order is the order of the report)

from . import sdk, key, envfile, git, environment, url, ids, timeout, transport, network, roundtrip

__all__ = [
    "envfile",
    "environment",
    "git",
    "ids",
    "key",
    "network",
    "roundtrip",
    "sdk",
    "timeout",
    "transport",
    "url",
]
