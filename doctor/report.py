"""A finished run of one setup: findings, the settings they were run against, the exit code."""

from __future__ import annotations

from dataclasses import field
from typing import Mapping, Optional, Sequence, Tuple

from .envformats import EnvFormat
from .errors import EXIT_FINDINGS, EXIT_INTERRUPTED, EXIT_OK, EXIT_OUTAGE
from .records import record
from .results import Finding, Status, count
from .settings import DOTENV_DISABLED, DOTENV_FILE, Dotenv, Settings


@record(frozen=True)
class Report:
    findings: Tuple[Finding, ...]
    settings: Settings
    environment: Optional[str]
    warnings: Tuple[str, ...] = ()
    fail_on: Status = Status.FAIL
    profile: str = "default"
    interrupted: bool = False  # Ctrl+C: the findings so far
    system: Mapping[str, Optional[str]] = field(default_factory=dict)  # versions (doctor.system)

    @property
    def summary(self) -> dict[str, int]:
        return count(self.findings)

    @property
    def failing(self) -> Tuple[Finding, ...]:
        """The findings that decide the exit code: at or above --fail-on, and not silenced."""
        threshold = self.fail_on.severity
        return tuple(f for f in self.findings if f.status.severity >= threshold and not f.silenced)

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return EXIT_INTERRUPTED
        failing = self.failing
        if not failing:
            return EXIT_OK
        if all(f.result.outage for f in failing):
            return EXIT_OUTAGE  # could not verify: the service failed, not this configuration
        return EXIT_FINDINGS

    def finding(self, check_id: str) -> Finding:
        return next(f for f in self.findings if f.id == check_id)


def overall_exit_code(reports: Sequence[Report]) -> int:
    """Many profiles' verdict: a misconfiguration anywhere (1) over an outage (4) over success."""
    codes = {report.exit_code for report in reports}
    for code in (EXIT_INTERRUPTED, EXIT_FINDINGS, EXIT_OUTAGE):
        if code in codes:
            return code
    return EXIT_OK


def worst(report: Report) -> Status:
    """The most severe status among the findings that count (silenced ones aside)."""
    counted = [f.status for f in report.findings if not f.silenced]
    order = (Status.ERROR, Status.FAIL, Status.WARN, Status.PASS, Status.SKIP)
    return next((status for status in order if status in counted), Status.SKIP)


def settings_view(settings: Settings) -> dict[str, dict[str, object]]:
    """The settings as every renderer shows them: the key masked, each value with its source."""
    from .mask import fingerprint, mask_key

    def shown(name: str, value: Optional[str]) -> dict[str, object]:
        if value is None:
            return {"value": None}
        if name == "api_key" and value.strip():  # an empty key is shown as it is: ""
            return {"value": mask_key(value), "fingerprint": fingerprint(value)}
        return {"value": value}

    view: dict[str, dict[str, object]] = {}
    for setting in settings:
        view[setting.name] = {
            **shown(setting.name, setting.value),
            "source": setting.source,
            "location": setting.location.as_dict() if setting.file else None,
            "shadowed": [
                {**shown(setting.name, f.value), "source": f.source} for f in setting.shadowed
            ],
        }
    return view


def env_files_line(settings: Settings) -> Optional[str]:
    """Words for under the settings: whether ./.env was read, and how env files are read."""
    return env_files_words(settings.dotenv, settings.env_format, bool(settings.env_files))


def env_files_words(dotenv: Dotenv, fmt: EnvFormat, any_file: bool = False) -> Optional[str]:
    """The same from a report's fields (``report`` builds its page from the JSON document)."""
    how = "load_dotenv() does" if fmt is EnvFormat.DOTENV else f"{fmt.reader} does"
    if dotenv is Dotenv.READ:
        return f"read ./{DOTENV_FILE} as {how}; --no-dotenv ignores it"
    if dotenv is Dotenv.DISABLED:
        return f"./{DOTENV_FILE} not read: {DOTENV_DISABLED} is set, so load_dotenv() reads nothing"
    if any_file and fmt is not EnvFormat.DOTENV:
        return f"env files read as {how}"
    return None


def dotenv_view(settings: Settings) -> dict[str, object]:
    """The JSON report's ``dotenv`` field."""
    read = settings.dotenv is Dotenv.READ
    return {
        "status": settings.dotenv.value,
        "path": DOTENV_FILE if read else None,
        "format": settings.env_format.value,
    }
