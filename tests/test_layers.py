"""The layers, read from the source: api/ on top of content/ and push/, which never import
Flask; content/ reaches push/ only through the outbox; nothing below api/ imports it. Inside
api/, a route module is imported by the app factory alone: neither another route module nor
the console imports one (what both need lives in api.routes itself, api.presenters or
api.etags).

Every import counts, at the top of a module or inside a function.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BELOW_API = ("content", "push", "migrations")
ROUTES = "api.routes"
#: the packages whose modules may import the package api.routes but none of its modules
NO_ROUTE_MODULES = (ROUTES, "api.console")
FLASK = ("flask", "werkzeug")
#: the one way content/ reaches push/: writing outbox rows in the caller's transaction
CONTENT_MAY_IMPORT_FROM_PUSH = "push.outbox"
#: known exceptions, each with its reason: Alembic's environment runs with the app's own
#: settings (the default database URL) and engine options, and imports nothing else of api/
ALLOWED = {
    ("migrations.env", "api.config.Settings"),
    ("migrations.env", "api.db.make_engine"),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(source: str, module: str, *, is_package: bool = False) -> list[str]:
    """Every dotted name the source imports: `from a.b import c` is `a.b.c`."""
    package = module if is_package else module.rpartition(".")[0]
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolved against the importing package
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names += [f"{base}.{alias.name}" for alias in node.names]
    return names


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def route_module(name: str) -> str | None:
    """The route module an imported name lies in (`api.routes.customs.present_rule` is in
    `api.routes.customs`); None for anything else, such as the package's own helpers
    (`api.routes.declare_errors`)."""
    parts = name.split(".")
    if len(parts) < 3 or not _within(name, ROUTES):
        return None
    path = ROOT.joinpath(*parts[:3])
    if path.with_suffix(".py").is_file() or (path / "__init__.py").is_file():
        return ".".join(parts[:3])
    return None


def layer_problems(source: str, module: str, *, is_package: bool = False) -> list[str]:
    """What the module's imports break, one line each."""
    layer = module.partition(".")[0]
    problems = []
    for name in imported_names(source, module, is_package=is_package):
        top = name.partition(".")[0]
        if layer in ("content", "push") and (top in FLASK or top.startswith("flask_")):
            problems.append(f"{module} imports {name}: no Flask below api/")
        if (
            layer == "content"
            and _within(name, "push")
            and not _within(name, CONTENT_MAY_IMPORT_FROM_PUSH)
        ):
            problems.append(f"{module} imports {name}: content/ may use only push.outbox")
        if layer in BELOW_API and top == "api" and (module, name) not in ALLOWED:
            problems.append(f"{module} imports {name}: api/ is the top layer")
        imported_route = route_module(name)
        if imported_route is not None and imported_route != module:
            if _within(module, ROUTES):
                problems.append(f"{module} imports {name}: route modules never import each other")
            elif _within(module, "api.console"):
                problems.append(f"{module} imports {name}: the console imports no route module")
    return problems


def test_the_source_tree_keeps_its_layers() -> None:
    checked = [*BELOW_API, *(package.replace(".", "/") for package in NO_ROUTE_MODULES)]
    paths = [path for layer in checked for path in sorted((ROOT / layer).rglob("*.py"))]
    assert len(paths) > 20  # the tree was found
    assert {module_name(path).rpartition(".")[0] for path in paths} >= set(NO_ROUTE_MODULES)
    problems = [
        problem
        for path in paths
        for problem in layer_problems(
            path.read_text(), module_name(path), is_package=path.name == "__init__.py"
        )
    ]
    assert problems == []


@pytest.mark.parametrize(
    ("module", "source", "broken"),
    [
        ("content.checkpoints.service", "import flask", "no Flask"),
        ("content.customs.service", "from flask import current_app", "no Flask"),
        ("push.worker", "from flask_babel import gettext", "no Flask"),
        ("push.messages", "from werkzeug.http import http_date", "no Flask"),
        ("content.checkpoints.service", "from push import models", "only push.outbox"),
        ("content.models", "from push.models import Device", "only push.outbox"),
        ("content.campaigns.service", "import push.senders", "only push.outbox"),
        ("content.checkpoints.service", "from push import outbox, worker", "only push.outbox"),
        ("content.checkpoints.service", "def f():\n    from api import cache\n", "top layer"),
        ("push.devices", "from api.auth import current_device", "top layer"),
        ("migrations.versions.0009_x", "import api.config", "top layer"),
        ("migrations.env", "from api.routes import checkpoints", "top layer"),
        ("content.accounts.service", "from ...api import errors", "top layer"),
        ("api.routes.customs", "from api.routes import checkpoints", "each other"),
        ("api.routes.campaigns", "from api.routes.customs import present_rule", "each other"),
        ("api.routes.push", "import api.routes.audit", "each other"),
        ("api.routes.devices", "from . import checkpoints", "each other"),
        ("api.routes.devices", "def f():\n    from .campaigns import blp\n", "each other"),
        ("api.console.customs", "from api.routes.customs import present_rule", "the console"),
        ("api.console.campaigns", "from api.routes import campaigns", "the console"),
        ("api.console.admin", "def f():\n    import api.routes.audit\n", "the console"),
        ("api.console.board", "from ..routes import checkpoints", "the console"),
    ],
)
def test_each_kind_of_break_is_caught(module: str, source: str, broken: str) -> None:
    problems = layer_problems(source, module)
    assert len(problems) == 1, problems
    assert broken in problems[0]


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("content.checkpoints.service", "from push import outbox"),
        ("content.checkpoints.service", "from push.outbox import enqueue"),
        ("content.checkpoints.service", "import push.outbox"),
        ("push.devices", "from content.checkpoints import service"),
        ("api.app", "from flask import Flask\nfrom push import worker"),
        ("migrations.env", "from api.config import Settings"),
        ("content.customs.service", "from .models import CustomsRule"),
        ("api.routes.customs", "from api.routes import USER_SECURITY, declare_errors"),
        ("api.routes.campaigns", "from . import declare_errors, declare_not_modified"),
        ("api.routes.auth", "from api.auth import current_user"),
        ("api.routes.push", "from push import outbox"),
        ("api.console.customs", "from api.presenters.customs import present_rule"),
        ("api.console", "from api import routes"),
        ("api.app", "from api.routes import audit, auth, campaigns, push"),
    ],
)
def test_what_the_layers_allow_passes(module: str, source: str) -> None:
    assert layer_problems(source, module) == []


@pytest.mark.slow  # a fresh interpreter imports the whole app
def test_the_web_app_does_not_load_scikit_learn() -> None:
    """scikit-learn adds about 90 MB to a process; only the forecast refresh (the worker,
    the CLI) needs it, so a web worker that imports the app must not load it."""
    code = (
        "import sys\n"
        "from api.app import create_app\n"
        "create_app()\n"
        "print(sorted(m for m in ('sklearn', 'scipy') if m in sys.modules))\n"
    )
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(  # noqa: S603  # our own interpreter, a fixed script
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout
