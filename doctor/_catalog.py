"""What `--help`, `list` and `explain` print with the packaged checks.yaml (doctor.quick),
and which facts of the SDK child each built-in check reads (doctor.sdkproc.needs_child).

Made by `python -m doctor._catalog` (then `ruff format` it); tests/cli/test_quick.py fails
when the help or a check changed and this was not made again.
"""

HELP = {
    78: "Usage: memorysync-doctor [OPTIONS] COMMAND [ARGS]...\n"
    "\n"
    "  Will the MemorySync client work here? If not, exactly why, and what to "
    "type\n"
    "  to fix it.\n"
    "\n"
    "Options:\n"
    "  --version   Show the version and exit.\n"
    "  -h, --help  Show this message and exit.\n"
    "\n"
    "Commands:\n"
    "  check    Run the checks against the settings found here and print "
    "a...\n"
    "  demo     Run every check against the built-in sandbox API: healthy, "
    "or...\n"
    "  diff     What differs between two reports (`check --format json` "
    "or...\n"
    "  explain  Explain one check: what it checks, why it matters, how to fix "
    "it.\n"
    "  list     List every check: id, title, tags and where it comes from.\n"
    "  report   Run the checks and write a report safe to paste in a "
    "public...\n"
    "  sandbox  Serve a stand-in MemorySync API in the foreground, with "
    "faults...\n",
    98: "Usage: memorysync-doctor [OPTIONS] COMMAND [ARGS]...\n"
    "\n"
    "  Will the MemorySync client work here? If not, exactly why, and what to "
    "type to fix it.\n"
    "\n"
    "Options:\n"
    "  --version   Show the version and exit.\n"
    "  -h, --help  Show this message and exit.\n"
    "\n"
    "Commands:\n"
    "  check    Run the checks against the settings found here and print a "
    "report.\n"
    "  demo     Run every check against the built-in sandbox API: healthy, or "
    "with one thing broken.\n"
    "  diff     What differs between two reports (`check --format json` or "
    "`report`), most...\n"
    "  explain  Explain one check: what it checks, why it matters, how to fix "
    "it.\n"
    "  list     List every check: id, title, tags and where it comes from.\n"
    "  report   Run the checks and write a report safe to paste in a public "
    "issue: versions,...\n"
    "  sandbox  Serve a stand-in MemorySync API in the foreground, with "
    "faults switched on.\n",
}
LISTING = {
    "json": "[\n"
    "  {\n"
    '    "id": "python.version",\n'
    '    "title": "Python version",\n'
    '    "tags": [\n'
    '      "offline",\n'
    '      "python"\n'
    "    ],\n"
    '    "origin": "builtin"\n'
    "  },\n"
    "  {\n"
    '    "id": "sdk.version",\n'
    '    "title": "SDK installed and importable",\n'
    '    "tags": [\n'
    '      "offline",\n'
    '      "sdk"\n'
    "    ],\n"
    '    "origin": "builtin"\n'
    "  },\n"
    "  {\n"
    '    "id": "sdk.dependencies",\n'
    '    "title": "SDK dependencies",\n'
    '    "tags": [\n'
    '      "offline",\n'
    '      "sdk"\n'
    "    ],\n"
    '    "origin": "builtin"\n'
    "  },\n"
    "  {\n"
    '    "id": "key.present",\n'
    '    "title": "API key set",\n'
    '    "tags": [\n'
    '      "offline",\n'
    '      "key"\n'
    "    ],\n"
    '    "origin": "builtin"\n'
    "  },\n"
    "  {\n"
    '    "id": "key.format",\n'
    '    "title": "API key format",\n'
    '    "tags": [\n'
    '      "offline",\n'
    '      "key"\n'
    "    ],\n"
    '    "origin": "builtin"\n'
    "  },\n"
    "  {\n"
    '    "id": "key.env_match",\n'
    '    "title": "Key matches environment",\n'
    '    "tags": [\n'
    '      "offline",\n'
    '      "key"\n'
    "    ],\n"
    '    "origin": "builtin"\n'
    "  },\n"
    "  {\n"
    '    "id": "settings.conflicts",\n'
    '    "title": "One value per setting",\n'
    '    "tags": [\n'
    '      "offline",\n'
    '      "settings"\n'
    "    ],\n"
    '    "origin": "builtin"\n'
    "  },\n"
    "  {\n"
    '    "id": "settings.env_file",\n'
    '    "title": "Env files as the app reads them",\n'
    '    "tags": [\n'
    '      "offline",\n'
    '      "settings"\n'
    "    ],\n"
    '    "origin": "builtin"\n'
    "  },\n"
    "  {\n"
    '    "id": "secrets.git",\n'
    '    "title": "No key committed to git",\n'
    '    "tags": [\n'
    '      "offline",\n'
    '      "secrets"\n'
    "    ],\n"
    '    "origin": "builtin"\n'
    "  },\n"
    "  {\n"
    '    "id": "environment.expected",\n'
    '    "title": "Meant environment",\n'
    '    "tags": [\n'
    '      "offline",\n'
    '      "environment"\n'
    "    ],\n"
    '    "origin": "builtin"\n'
    "  },\n"
    "  {\n"
    '    "id": "end_user.present",\n'
    '    "title": "End-user id set",\n'
    '    "tags": [\n'
    '      "offline",\n'
    '      "end_user"\n'
    "    ],\n"
    '    "origin": "builtin"\n'
    "  },\n"
    "  {\n"
    '    "id": "project.format",\n'
    '    "title": "Project id format",\n'
    '    "tags": [\n'
    '      "offline",\n'
    '      "project"\n'
    "    ],\n"
    '    "origin": "builtin"\n'
    "  },\n"
    "  {\n"
    '    "id": "url.format",\n'
    '    "title": "Base URL format",\n'
    '    "tags": [\n'
    '      "offline",\n'
    '      "url"\n'
    "    ],\n"
    '    "origin": "builtin"\n'
    "  },\n"
    "  {\n"
    '    "id": "timeout.sane",\n'
    '    "title": "Timeout value",\n'
    '    "tags": [\n'
    '      "offline",\n'
    '      "timeout"\n'
    "    ],\n"
    '    "origin": "builtin"\n'
    "  },\n"
    "  {\n"
    '    "id": "tls.trust_env",\n'
    '    "title": "CA bundle the SDK uses",\n'
    '    "tags": [\n'
    '      "network",\n'
    '      "tls"\n'
    "    ],\n"
    '    "origin": "builtin"\n'
    "  },\n"
    "  {\n"
    '    "id": "proxy.env",\n'
    '    "title": "Proxy the SDK uses",\n'
    '    "tags": [\n'
    '      "offline",\n'
    '      "proxy"\n'
    "    ],\n"
    '    "origin": "builtin"\n'
    "  },\n"
    "  {\n"
    '    "id": "url.reachable",\n'
    '    "title": "Base URL reachable",\n'
    '    "tags": [\n'
    '      "network",\n'
    '      "url"\n'
    "    ],\n"
    '    "origin": "builtin"\n'
    "  },\n"
    "  {\n"
    '    "id": "api.auth",\n'
    '    "title": "API key accepted",\n'
    '    "tags": [\n'
    '      "network",\n'
    '      "key"\n'
    "    ],\n"
    '    "origin": "builtin"\n'
    "  },\n"
    "  {\n"
    '    "id": "api.end_user",\n'
    '    "title": "End-user header accepted",\n'
    '    "tags": [\n'
    '      "network",\n'
    '      "end_user"\n'
    "    ],\n"
    '    "origin": "builtin"\n'
    "  },\n"
    "  {\n"
    '    "id": "api.project",\n'
    '    "title": "Project accepted",\n'
    '    "tags": [\n'
    '      "network",\n'
    '      "project"\n'
    "    ],\n"
    '    "origin": "builtin"\n'
    "  },\n"
    "  {\n"
    '    "id": "timeout.latency",\n'
    '    "title": "Latency within timeout",\n'
    '    "tags": [\n'
    '      "network",\n'
    '      "timeout"\n'
    "    ],\n"
    '    "origin": "builtin"\n'
    "  },\n"
    "  {\n"
    '    "id": "sdk.roundtrip",\n'
    '    "title": "SDK round trip",\n'
    '    "tags": [\n'
    '      "network",\n'
    '      "sdk"\n'
    "    ],\n"
    '    "origin": "builtin"\n'
    "  }\n"
    "]",
    "table": "id                    title                       "
    "tags                 origin\n"
    "--------------------  --------------------------  "
    "-------------------  --------\n"
    "python.version        Python version              "
    "offline,python       builtin\n"
    "sdk.version           SDK installed and           "
    "offline,sdk          builtin\n"
    "                      importable\n"
    "sdk.dependencies      SDK dependencies            "
    "offline,sdk          builtin\n"
    "key.present           API key set                 "
    "offline,key          builtin\n"
    "key.format            API key format              "
    "offline,key          builtin\n"
    "key.env_match         Key matches environment     "
    "offline,key          builtin\n"
    "settings.conflicts    One value per setting       "
    "offline,settings     builtin\n"
    "settings.env_file     Env files as the app reads  "
    "offline,settings     builtin\n"
    "                      them\n"
    "secrets.git           No key committed to git     "
    "offline,secrets      builtin\n"
    "environment.expected  Meant environment           "
    "offline,environment  builtin\n"
    "end_user.present      End-user id set             "
    "offline,end_user     builtin\n"
    "project.format        Project id format           "
    "offline,project      builtin\n"
    "url.format            Base URL format             "
    "offline,url          builtin\n"
    "timeout.sane          Timeout value               "
    "offline,timeout      builtin\n"
    "tls.trust_env         CA bundle the SDK uses      "
    "network,tls          builtin\n"
    "proxy.env             Proxy the SDK uses          "
    "offline,proxy        builtin\n"
    "url.reachable         Base URL reachable          "
    "network,url          builtin\n"
    "api.auth              API key accepted            "
    "network,key          builtin\n"
    "api.end_user          End-user header accepted    "
    "network,end_user     builtin\n"
    "api.project           Project accepted            "
    "network,project      builtin\n"
    "timeout.latency       Latency within timeout      "
    "network,timeout      builtin\n"
    "sdk.roundtrip         SDK round trip              "
    "network,sdk          builtin",
}
EXPLAIN = {
    "api.auth": "api.auth: API key accepted\n"
    "tags: network, key\n"
    "origin: builtin\n"
    "requires: url.reachable, key.format\n"
    "reads: the probe request\n"
    "\n"
    "The key is accepted (401/403 quote the server's code: revoked, "
    "invalid, wrong environment); 404\n"
    "points at a path in base_url; 429 warns; 5xx fails with the "
    "request id.\n"
    "\n"
    "Why: a revoked, mistyped or wrong-environment key, or a base_url "
    "with a path, fails every call.\n"
    "Fix: the row quotes the server's error code and says what to "
    "change.",
    "api.end_user": "api.end_user: End-user header accepted\n"
    "tags: network, end_user\n"
    "origin: builtin\n"
    "requires: api.auth, end_user.present\n"
    "reads: the probe request\n"
    "\n"
    "The server accepts `X-End-User-ID`.\n"
    "\n"
    "Why: API-key requests without a valid end user are refused.\n"
    "Fix: pass end_user_id= to the client (MEMORYSYNC_END_USER_ID "
    "here).",
    "api.project": "api.project: Project accepted\n"
    "tags: network, project\n"
    "origin: builtin\n"
    "requires: api.auth, project.format\n"
    "reads: the probe request\n"
    "\n"
    "The server accepts `X-Project-ID` (skip without one).\n"
    "\n"
    "Why: a key locked to other projects is refused for this one.\n"
    "Fix: use the project the key belongs to, or a key for this "
    "project.",
    "end_user.present": "end_user.present: End-user id set\n"
    "tags: offline, end_user\n"
    "origin: builtin\n"
    "\n"
    "An end-user id is set (without it the server answers "
    "`400 MISSING_END_USER_ID`) and is a safe\n"
    "header value; warns for shared fallbacks "
    "(`default-user`) and e-mail addresses.\n"
    "\n"
    "Why: with an API key the server answers 400 "
    "MISSING_END_USER_ID to every request without\n"
    "the X-End-User-ID header.\n"
    "Fix: pass end_user_id= to the client "
    "(MEMORYSYNC_END_USER_ID here): a stable id of the user.",
    "environment.expected": "environment.expected: Meant environment\n"
    "tags: offline, environment\n"
    "origin: builtin\n"
    "\n"
    "The base URL and the key belong to the environment "
    "this deployment is meant to be.\n"
    "\n"
    "Why: a staging configuration in a production "
    "pipeline works, and talks to the wrong data.\n"
    "Fix: set the base URL and key of that environment "
    "(--environment names it; checks.yaml\n"
    "environments: say which base URL and key prefix each "
    "one takes).",
    "key.env_match": "key.env_match: Key matches environment\n"
    "tags: offline, key\n"
    "origin: builtin\n"
    "requires: key.format\n"
    "\n"
    "The key prefix is the one base_url's environment takes "
    "(`ms_live_` production, `ms_test_`\n"
    "staging); warns when base_url is in no configured "
    "environment.\n"
    "\n"
    "Why: a live key against staging (or the reverse) is refused "
    "with 401 on every call.\n"
    "Fix: use the other key, or point base_url at the "
    "environment the key belongs to.",
    "key.format": "key.format: API key format\n"
    "tags: offline, key\n"
    "origin: builtin\n"
    "requires: key.present\n"
    "\n"
    "No whitespace or newline at either end, no quotes, no control "
    "or non-ASCII character (named with\n"
    "its position, and what the SDK will raise), not a placeholder "
    "(`ms_test_...`, `<your key>`,\n"
    "`changeme`), an `ms_test_`/`ms_live_` prefix, a plausible "
    "length.\n"
    "\n"
    "Why: a key pasted with a newline or quotes, or left as an "
    "example value, fails every call\n"
    "(and a newline fails before anything is sent, as a confusing "
    "'Network error').\n"
    "Fix: re-copy the key from the dashboard into the place named "
    "by the row.",
    "key.present": "key.present: API key set\n"
    "tags: offline, key\n"
    "origin: builtin\n"
    "\n"
    "An API key is set; the fix lists every place searched (flag, "
    "environment, env files,\n"
    "./.env, checks.yaml), and names an env-file line holding a "
    "key without `NAME=`.\n"
    "\n"
    'Why: the SDK raises ValueError("api_key is required") at '
    "construction without one.\n"
    "Fix: set MEMORYSYNC_API_KEY; the row lists every place "
    "searched.",
    "project.format": "project.format: Project id format\n"
    "tags: offline, project\n"
    "origin: builtin\n"
    "\n"
    "When set, `proj_` + 16 hex characters (skip when unset).\n"
    "\n"
    "Why: the server refuses other values in X-Project-ID.\n"
    "Fix: copy the project id from the dashboard, or unset it.",
    "proxy.env": "proxy.env: Proxy the SDK uses\n"
    "tags: offline, proxy\n"
    "origin: builtin\n"
    "reads: the SDK's CA bundle and proxy route\n"
    "\n"
    "Which proxy the SDK (httpx) uses for base_url and why; fails "
    "when httpx cannot be set up (SOCKS\n"
    "without `socksio`, `socks4://`), warns where requests and curl "
    "would route differently.\n"
    "\n"
    "Why: httpx reads NO_PROXY differently from requests and curl "
    "(no CIDR ranges, a leading dot\n"
    "matches only subdomains), needs socksio for SOCKS, and refuses "
    "socks4.\n"
    "Fix: the row names the variable and entry to change.",
    "python.version": "python.version: Python version\n"
    "tags: offline, python\n"
    "origin: builtin\n"
    "reads: the SDK install report\n"
    "\n"
    "The interpreter satisfies the SDK's floor (3.9).\n"
    "\n"
    "Why: pip refuses to install the SDK on an older "
    "interpreter, or an old copy lingers.\n"
    "Fix: run the application on Python 3.9 or newer.",
    "sdk.dependencies": "sdk.dependencies: SDK dependencies\n"
    "tags: offline, sdk\n"
    "origin: builtin\n"
    "requires: sdk.version\n"
    "reads: the SDK install report\n"
    "\n"
    "The SDK's declared requirements (the httpx range) are "
    "satisfied.\n"
    "\n"
    "Why: pip can leave an incompatible httpx behind when "
    "another package pins it.\n"
    "Fix: the pip line that installs the declared range.",
    "sdk.roundtrip": "sdk.roundtrip: SDK round trip\n"
    "tags: network, sdk\n"
    "origin: builtin\n"
    "requires: key.present, url.format\n"
    "reads: the SDK round trip, the SDK's CA bundle and proxy "
    "route, the probe request\n"
    "\n"
    "The real `MemorySyncClient(...).export_all()` works with "
    "the resolved settings; on failure it\n"
    "names the check that found the root cause.\n"
    "\n"
    "Why: the install guide's own hello world; it is what \"the "
    'client works here" means.\n'
    "Fix: when it fails, the row names the check that found the "
    "root cause.",
    "sdk.version": "sdk.version: SDK installed and importable\n"
    "tags: offline, sdk\n"
    "origin: builtin\n"
    "reads: the SDK install report\n"
    "options: require (VersionRange) = '>=1.0,<2.0'\n"
    "\n"
    "`memorysync` is installed, really importable from here (not "
    "shadowed by a local `memorysync.py`\n"
    "or `memorysync/`), and its version satisfies `require`; "
    "otherwise prints the exact pip\n"
    "line, for the interpreter that was inspected.\n"
    "\n"
    "Why: metadata alone can lie (a broken install), and a local "
    "memorysync.py or memorysync/ in the\n"
    "working directory shadows the real package for code started "
    "here. With --offline on this\n"
    "interpreter, the installed files are checked against pip's "
    "record instead of importing it.\n"
    "Fix: the exact pip line is printed; rename a shadowing file.",
    "secrets.git": "secrets.git: No key committed to git\n"
    "tags: offline, secrets\n"
    "origin: builtin\n"
    "reads: the git repository's files\n"
    "\n"
    "No API key is written in a file git tracks, and no .env file "
    "holding one is left unignored.\n"
    "\n"
    "Looks for the key in use and for anything shaped like a "
    "MemorySync key (ms_live_/ms_test_)\n"
    "in the files of the surrounding git repository: fail for a "
    "tracked file, warn for a .env\n"
    "file git would add (untracked and not ignored). Placeholders "
    "(ms_test_..., the demo keys of\n"
    "examples, filler) and the sandbox's published keys are not "
    "keys. Skips outside a repository.\n"
    "Why: a committed key can be read by everyone who can read the "
    "repository, and stays in\n"
    "its history after the line is deleted; an unignored .env file "
    "is one `git add .` away.\n"
    "Fix: revoke the key in the dashboard and use a new one, read "
    "it from the environment or an\n"
    "ignored .env file, and list .env files in .gitignore.",
    "settings.conflicts": "settings.conflicts: One value per setting\n"
    "tags: offline, settings\n"
    "origin: builtin\n"
    "\n"
    "The key and base URL are not set in several places "
    "with different values (warn).\n"
    "\n"
    'Why: "which credential is actually used?" is the most '
    "common support question; a stale\n"
    "value in an env file or the shell hides behind the one "
    "that wins.\n"
    "Fix: remove the losing values, so every tool reads the "
    "same one.",
    "settings.env_file": "settings.env_file: Env files as the app reads them\n"
    "tags: offline, settings\n"
    "origin: builtin\n"
    "\n"
    "The --env-file files and ./.env read the way the app's "
    "launcher reads them\n"
    "(--env-file-format: python-dotenv's load_dotenv by "
    "default, docker --env-file, or a shell's\n"
    "`set -a; . FILE`), line by line against python-dotenv.\n"
    "\n"
    "Why: a line a reader skips sets nothing, and the same "
    "file read by docker or a shell can\n"
    "give the app another value (quotes kept, ${VAR} not "
    "expanded, $NAME expanded, a \\r kept), or\n"
    "not start it at all (docker refuses 'export ' and names "
    "with spaces). A bare key line, a\n"
    "byte-order mark, CRLF endings and a name set twice are "
    "pointed out.\n"
    "Fix: the row names the file and line. It fails only "
    "where the launcher gives a MemorySync\n"
    "setting another value than python-dotenv would (or "
    "none); otherwise it warns.",
    "timeout.latency": "timeout.latency: Latency within timeout\n"
    "tags: network, timeout\n"
    "origin: builtin\n"
    "requires: url.reachable, timeout.sane\n"
    "reads: the probe request\n"
    "\n"
    "The round trip fits the timeout (warn above half of it).\n"
    "\n"
    "Why: a call that needs longer than the timeout fails with "
    '"Request timed out"; one that uses\n'
    "most of it fails on the first slow day.\n"
    "Fix: raise MEMORYSYNC_TIMEOUT, or find out why the API is "
    "slow from here.",
    "timeout.sane": "timeout.sane: Timeout value\n"
    "tags: offline, timeout\n"
    "origin: builtin\n"
    "options: min (float) = 1.0, max (float) = 120.0\n"
    "\n"
    "A positive finite number; warns below `min` or above `max` "
    "(the SDK applies it per\n"
    "connect/read/write phase, not in total).\n"
    "\n"
    "Why: 0 makes every call time out at once; a huge value lets "
    "a dead network hang a worker.\n"
    "Fix: set MEMORYSYNC_TIMEOUT to a number of seconds (the SDK "
    "default is 30).",
    "tls.trust_env": "tls.trust_env: CA bundle the SDK uses\n"
    "tags: network, tls\n"
    "origin: builtin\n"
    "reads: the SDK's CA bundle and proxy route, the check of "
    "requests' CA bundle\n"
    "\n"
    "The CA bundle the SDK verifies with (`SSL_CERT_FILE`, else "
    "`SSL_CERT_DIR`, else certifi); fails\n"
    "when it is missing or when only `REQUESTS_CA_BUNDLE` trusts "
    "the server.\n"
    "\n"
    "Why: httpx reads SSL_CERT_FILE / SSL_CERT_DIR and ignores "
    "REQUESTS_CA_BUNDLE, so a private CA\n"
    "configured for requests leaves the SDK failing with "
    "CERTIFICATE_VERIFY_FAILED, and a missing\n"
    "SSL_CERT_FILE breaks the SDK's client before any request.\n"
    "Fix: export SSL_CERT_FILE with the bundle your other tools "
    "use.",
    "url.format": "url.format: Base URL format\n"
    "tags: offline, url\n"
    "origin: builtin\n"
    "\n"
    "The base URL is an http(s) origin: no query, fragment or "
    "credentials; `https://` unless the\n"
    "host is this machine; not the MCP server, docs or dashboard. A "
    "path warns (the SDK appends\n"
    "`/memory/export` to the whole string): api.auth then confirms "
    "or refutes it.\n"
    "\n"
    "Why: the SDK appends routes to the whole string "
    "(https://host/v1 calls /v1/memory/export),\n"
    "and http:// would send the key in cleartext.\n"
    "Fix: set MEMORYSYNC_BASE_URL to the scheme and host only.",
    "url.reachable": "url.reachable: Base URL reachable\n"
    "tags: network, url\n"
    "origin: builtin\n"
    "requires: url.format\n"
    "reads: the DNS/TCP/TLS pre-flight, the probe request, the "
    "server's clock\n"
    "\n"
    "DNS, TCP, TLS and an HTTP answer from the API, each timed; "
    "a failure names its phase and cause\n"
    "(a certificate that looks expired or not yet valid is "
    "checked against the server's Date\n"
    "header, to tell a wrong clock from a stale certificate); a "
    "redirect (never followed), a\n"
    "proxy's 407 or an HTML page (captive portal) fails.\n"
    "\n"
    'Why: this is where "Network error" and "export response was '
    'not a JSON object" come from;\n'
    "the SDK never says which phase failed, or that it met a "
    "redirect or a captive portal.\n"
    "Fix: the row names the phase and the cause (name, port, "
    "certificate, proxy, redirect).",
}
SDK_FACTS = {
    "api.auth": ("sdk.httpx",),
    "api.end_user": ("sdk.httpx",),
    "api.project": ("sdk.httpx",),
    "end_user.present": (),
    "environment.expected": (),
    "key.env_match": (),
    "key.format": (),
    "key.present": (),
    "project.format": (),
    "proxy.env": ("sdk.httpx",),
    "python.version": ("sdk.install",),
    "sdk.dependencies": ("sdk.install",),
    "sdk.roundtrip": ("sdk.httpx", "sdk.roundtrip"),
    "sdk.version": ("sdk.install",),
    "secrets.git": (),
    "settings.conflicts": (),
    "settings.env_file": (),
    "timeout.latency": ("sdk.httpx",),
    "timeout.sane": (),
    "tls.trust_env": ("sdk.httpx",),
    "url.format": (),
    "url.reachable": ("sdk.httpx",),
}

if __name__ == "__main__":
    from doctor.quick import catalog_source

    with open(__file__, "w", encoding="utf-8") as module:
        module.write(catalog_source())
