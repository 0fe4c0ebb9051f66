"""requirements/lock.txt agrees with pyproject.toml, and this interpreter runs what it pins.

`make setup` (and so CI) installs the lock exactly; pyproject.toml keeps open ranges for library
users. These checks read files and installed metadata only (no network), so a lock that misses
a dependency, a pin outside pyproject's range, or a venv that drifted from the lock fails here.
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements" / "lock.txt"
BUILD_IN = ROOT / "requirements" / "build.in"
# The installer and the build backend: pinned in the lock (setup installs them from it), but
# not what the tests exercise, so a venv made before the lock need not match them.
TOOLING = {"pip", "setuptools", "wheel"}

_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;\\]+)")
_HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")


def _entries() -> dict[str, tuple[str, str, list[str]]]:
    """Canonical name -> (first line, pinned version or '', sha256 hashes) of each lock entry."""
    entries: dict[str, tuple[str, str, list[str]]] = {}
    current: str | None = None
    for raw in LOCK.read_text().splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if raw[:1].isspace():  # the entry's --hash options, or its "# via" comments
            assert current is not None or not line, f"lock line outside an entry: {raw!r}"
            if line:
                entries[current][2].extend(_HASH.findall(line))
            continue
        if not line:
            continue
        match = _PIN.match(line)  # so no -e, URL, index or find-links line, tied to one machine
        assert match, f"lock line is not a `name==version` pin: {raw!r}"
        current = canonicalize_name(match["name"])
        assert current not in entries, f"{current} appears twice in the lock"
        entries[current] = (raw, match["version"], [])
    return entries


def _declared() -> list[Requirement]:
    """pyproject's dependencies, its test extra, its build requirement, and build.in."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    specs = [
        *pyproject["project"]["dependencies"],
        *pyproject["project"]["optional-dependencies"]["test"],
        *pyproject["build-system"]["requires"],
    ]
    for raw in BUILD_IN.read_text().splitlines():
        if raw.split("#", 1)[0].strip():
            specs.append(raw.split("#", 1)[0].strip())
    return [Requirement(spec) for spec in specs]


def test_every_entry_is_an_exact_pin_with_hashes() -> None:
    entries = _entries()
    assert len(entries) > 20
    for name, (line, version, hashes) in entries.items():
        assert version and hashes, f"{name}: no `==` pin or no --hash in the lock ({line!r})"


def test_every_declared_dependency_is_locked_within_its_range() -> None:
    entries = _entries()
    problems = []
    for req in _declared():
        name = canonicalize_name(req.name)
        if name not in entries:
            problems.append(f"{req}: not in requirements/lock.txt")
            continue
        _, version, hashes = entries[name]
        if not hashes:
            problems.append(f"{req}: locked without a --hash")
        if not req.specifier.contains(version, prereleases=True):
            problems.append(f"{req}: the lock pins {version}, outside pyproject's range")
    assert not problems, "lock and pyproject disagree (run `make lock`):\n" + "\n".join(problems)


def test_installed_packages_match_the_lock() -> None:
    problems = []
    for name, (_, version, _) in sorted(_entries().items()):
        if name in TOOLING:
            continue
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            problems.append(f"{name}: not installed, the lock pins {version}")
            continue
        if installed != version:
            problems.append(f"{name}: {installed} installed, the lock pins {version}")
    assert not problems, (
        "this environment drifted from requirements/lock.txt "
        "(`make setup`, or `rm -rf .venv && make setup`):\n" + "\n".join(problems)
    )
