"""The packaged checks.yaml as config._read_yaml reads it (see config._packaged_default).

Made by `python -m doctor._packaged_config` (then `ruff format` it); tests/test_config.py
fails when checks.yaml changed and this was not made again.
"""

SOURCE = (
    b"# memorysync-doctor configuration. A checks.yaml in the working directory (o"
    b"r --config PATH) is\n# merged over this packaged default: environments by"
    b" name, checks by id.\nversion: 1\n\nenvironments:            # which base U"
    b"RL is which environment, and the key prefix it takes\n  production: {base"
    b"_url: https://api.memorysync.io, key_prefix: ms_live_}\n  staging:    {ba"
    b"se_url: https://staging.api.memorysync.io, key_prefix: ms_test_}\n\nchecks"
    b":                  # per-check options; `enabled: false` turns a check o"
    b'ff\n  sdk.version: {require: ">=1.0,<2.0"}\n  timeout.sane: {min: 1.0, max'
    b": 120.0}\n\nplugins: []              # importable modules that register mo"
    b"re checks\n\n# settings:              # lowest-precedence values for the f"
    b"ive settings (flags and env win)\n#   base_url: https://staging.api.memor"
    b"ysync.io\n#   end_user_id: user_123\n"
)
DATA = {
    "version": 1,
    "environments": {
        "production": {"base_url": "https://api.memorysync.io", "key_prefix": "ms_live_"},
        "staging": {"base_url": "https://staging.api.memorysync.io", "key_prefix": "ms_test_"},
    },
    "checks": {
        "sdk.version": {"require": ">=1.0,<2.0"},
        "timeout.sane": {"min": 1.0, "max": 120.0},
    },
    "plugins": [],
}
LINES = {
    (): 3,
    ("checks",): 9,
    ("checks", "sdk.version"): 10,
    ("checks", "sdk.version", "require"): 10,
    ("checks", "timeout.sane"): 11,
    ("checks", "timeout.sane", "max"): 11,
    ("checks", "timeout.sane", "min"): 11,
    ("environments",): 5,
    ("environments", "production"): 6,
    ("environments", "production", "base_url"): 6,
    ("environments", "production", "key_prefix"): 6,
    ("environments", "staging"): 7,
    ("environments", "staging", "base_url"): 7,
    ("environments", "staging", "key_prefix"): 7,
    ("plugins",): 13,
    ("version",): 3,
}

if __name__ == "__main__":
    from doctor.config import packaged_source

    with open(__file__, "w", encoding="utf-8") as module:
        module.write(packaged_source())
