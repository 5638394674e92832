"""doctor.distinfo reads versions and plugin declarations as importlib.metadata does."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path
from typing import Optional

import pytest

from doctor import distinfo


def _dist(site: Path, folder: str, files: dict[str, bytes]) -> None:
    (site / folder).mkdir()
    for name, data in files.items():
        (site / folder / name).write_bytes(data)


def _expected(name: str) -> Optional[str]:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


@pytest.mark.parametrize(
    "name", ["httpx", "requests", "urllib3", "certifi", "tabulate", "no-such-dist"]
)
def test_installed_versions_are_read_without_importlib_metadata(name: str) -> None:
    assert distinfo._plain_version(name) == _expected(name)


PLAIN = {
    "plain": (
        "plain-1.0.dist-info",
        {"METADATA": b"Metadata-Version: 2.1\nName: plain\nVersion: 1.0\n\nbody\n"},
    ),
    # the first Version header counts; folded headers elsewhere; CRLF; spaces kept at the end
    "Odd.Name_x": (
        "odd_name_x-2.0.dist-info",
        {
            "METADATA": b"Name: Odd.Name_x\r\nLicense: MIT\r\n  and more\r\nVersion:\t2.0rc1 \r\n"
            b"Version: 9\r\n\r\nVersion: 3\r\n"
        },
    ),
    "pkginfo": (
        "pkginfo-3.0.dist-info",
        {"METADATA": b"", "PKG-INFO": b"Name: pkginfo\nVersion: 3.0\n"},
    ),
    "eggy": ("Eggy-4.0-py3.11.egg-info", {"PKG-INFO": b"Name: Eggy\nVersion: 4.0\n"}),
    "headersonly": ("headersonly-5.dist-info", {"METADATA": b"Name: headersonly\nVersion: 5"}),
}
UNSURE = {
    "folded": ("folded-1.dist-info", {"METADATA": b"Name: folded\nVersion: 1\n  .5\n"}),
    "noversion": ("noversion-1.dist-info", {"METADATA": b"Name: noversion\n\nVersion: 1\n"}),
    "latin": ("latin-1.dist-info", {"METADATA": b"Name: latin\nAuthor: Jos\xe9\nVersion: 1\n"}),
    "breaks": ("breaks-1.dist-info", {"METADATA": b"Name: breaks\x0cVersion: 2\nVersion: 1\n"}),
    "stray": ("stray-1.dist-info", {"METADATA": b"not a header\nVersion: 1\n"}),
    "empty": ("empty-1.dist-info", {}),
}


# Python 3.13's importlib.metadata warns when a distribution has no Version (the "empty" case):
# the oracle's own deprecation, not the doctor's.
@pytest.mark.filterwarnings("ignore:Implicit None on return values:DeprecationWarning")
def test_metadata_files_read_the_same_or_left_to_importlib_metadata(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    for folder, files in [*PLAIN.values(), *UNSURE.values()]:
        _dist(site, folder, files)
    monkeypatch.syspath_prepend(str(site))
    for name in PLAIN:
        assert distinfo._plain_version(name) == _expected(name), name
        assert distinfo.version(name) == _expected(name), name
    for name in UNSURE:
        with pytest.raises(distinfo.Unsure):
            distinfo._plain_version(name)
        try:
            expected: object = _expected(name)
        except Exception as exc:  # what importlib.metadata raises, distinfo.version raises
            with pytest.raises(type(exc)):
                distinfo.version(name)
        else:
            assert distinfo.version(name) == expected, name


def test_the_first_distribution_on_sys_path_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for index, version in enumerate(["7.0", "6.0"]):
        site = tmp_path / f"site{index}"
        site.mkdir()
        _dist(
            site,
            f"requests-{version}.dist-info",
            {"METADATA": f"Name: requests\nVersion: {version}\n".encode()},
        )
        monkeypatch.syspath_prepend(str(site))
    assert distinfo.version("requests") == _expected("requests") == "6.0"


def test_a_zip_on_sys_path_is_left_to_importlib_metadata(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "deps.zip"
    archive.write_bytes(b"PK\x05\x06" + b"\0" * 18)  # an empty zip file
    monkeypatch.syspath_prepend(str(archive))
    with pytest.raises(distinfo.Unsure):
        distinfo._plain_version("httpx")
    assert distinfo.version("httpx") == _expected("httpx")
