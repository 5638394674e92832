"""A requests-based probe that sees the network the way the memorysync SDK (httpx) does.

``sdkview`` says which CA bundle and proxy the SDK would use, ``phases`` times DNS/TCP/TLS and
``http`` performs the single bounded exchange. Submodules are imported on use so that importing
the package stays cheap (no requests, ssl or certifi until a probe runs).
"""
