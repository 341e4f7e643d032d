"""The locks in requirements/*.txt match what requirements/*.in ask for: `make lock` was run after the
last change to an .in file. Read offline, from the files alone: no package index is asked."""

import itertools
import re
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REQUIREMENTS = Path(__file__).resolve().parent.parent / "requirements"
LOCKS = ("base", "prod", "dev", "load")
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")


def asked(in_file):
    """The requirements an .in file names, with those of the .in files it includes (-r)."""
    found = []
    for line in in_file.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-c "):
            continue
        if line.startswith("-r "):
            found += asked(in_file.parent / line.removeprefix("-r ").strip())
        else:
            found.append(Requirement(line))
    return found


def locked(txt_file):
    """{package: (version, hashes, names of the .in files that ask for it directly)} of a lock."""
    pins, name = {}, None
    for line in txt_file.read_text().splitlines():
        stripped = line.strip()
        if match := PIN.match(line):
            name = canonicalize_name(match[1])
            pins[name] = (match[2], [], [])
        elif stripped.startswith("--hash=sha256:"):
            pins[name][1].append(stripped.removeprefix("--hash=sha256:").rstrip(" \\"))
        elif name and (via := re.search(r"-r requirements/(\w+)\.in", stripped)):
            pins[name][2].append(via[1])
    return pins


def problems(folder):
    """What `make lock` would change in the locks of a folder like requirements/."""
    found = []
    for name in LOCKS:
        pins = locked(folder / f"{name}.txt")
        requirements = asked(folder / f"{name}.in")
        for requirement in requirements:
            package = canonicalize_name(requirement.name)
            if package not in pins:
                found.append(f"{name}.txt lacks {requirement}")
            elif not requirement.specifier.contains(pins[package][0], prereleases=True):
                found.append(f"{name}.txt pins {package}=={pins[package][0]}, outside {requirement}")
        asked_for = {canonicalize_name(r.name) for r in requirements}
        for package, (_, hashes, asked_by) in pins.items():
            if asked_by and package not in asked_for:
                found.append(f"{name}.txt locks {package}, which no .in file asks for any more")
            if not hashes or not all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes):
                found.append(f"{name}.txt pins {package} without hashes")
    for lower, upper in itertools.pairwise(LOCKS):
        upper_pins = locked(folder / f"{upper}.txt")
        for package, (version, _, _) in locked(folder / f"{lower}.txt").items():
            if upper_pins.get(package, (None,))[0] != version:
                found.append(f"{upper}.txt does not pin {package}=={version} as {lower}.txt does")
    return found


def test_the_locks_match_the_in_files():
    assert problems(REQUIREMENTS) == [], "run `make lock`"
    assert len(locked(REQUIREMENTS / "dev.txt")) > 40  # the whole tree, not only what we name


def test_an_in_file_edited_without_make_lock_is_caught(tmp_path):
    for lower, upper in itertools.pairwise(LOCKS):
        (tmp_path / f"{upper}.in").write_text(f"-c {lower}.txt\n-r {lower}.in\n")
    pin = "{}=={} \\\n    --hash=sha256:{}\n    # via -r requirements/base.in\n"
    (tmp_path / "base.in").write_text("Django>=5.2,<5.3\nsegno>=99\nredis\n# gspread: no longer\n")
    for name in LOCKS:
        (tmp_path / f"{name}.txt").write_text(
            pin.format("django", "5.2.19", "a" * 64)
            + pin.format("segno", "1.6.6", "b" * 64)
            + pin.format("gspread", "6.2.1", "c" * 64)
            + ("" if name == "load" else "psutil==7.2.2\n")
        )
    assert problems(tmp_path) == [
        *[
            problem
            for name in LOCKS
            for problem in (
                f"{name}.txt pins segno==1.6.6, outside segno>=99",
                f"{name}.txt lacks redis",
                f"{name}.txt locks gspread, which no .in file asks for any more",
            )
            + (() if name == "load" else (f"{name}.txt pins psutil without hashes",))
        ],
        "load.txt does not pin psutil==7.2.2 as dev.txt does",
    ]
