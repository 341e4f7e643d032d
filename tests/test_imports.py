"""Imports run one way: killer -> game <- sheets_sync. game imports neither; neither app imports killer."""

import ast

from django.conf import settings


def imported_packages(path):
    """The top-level package of every absolute import in the module at `path`."""
    packages = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            packages.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            packages.add(node.module.split(".")[0])
    return packages


def offenders(app, forbidden):
    """{module path: the forbidden packages it imports} over every module of `app`."""
    found = {}
    for path in sorted((settings.BASE_DIR / app).rglob("*.py")):
        bad = imported_packages(path) & forbidden
        if bad:
            found[path.relative_to(settings.BASE_DIR).as_posix()] = bad
    return found


def test_game_imports_neither_killer_nor_sheets_sync():
    assert offenders("game", {"killer", "sheets_sync"}) == {}


def test_sheets_sync_does_not_import_the_project():
    assert offenders("sheets_sync", {"killer"}) == {}


def test_it_sees_every_kind_of_import(tmp_path):
    module = tmp_path / "module.py"
    module.write_text(
        "import killer.settings\n"
        "from sheets_sync.models import GameSheet\n"
        "from . import sibling\n"
        "def later():\n"
        "    import django\n"
    )
    assert imported_packages(module) == {"killer", "sheets_sync", "django"}
