"""Imports point one way, down the floors of docs/DESIGN.md §12, and never back up."""

import ast
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent

# An app may import the apps on lower floors only (and itself).
FLOORS = {
    "core": -1,
    "catalog": 0,
    "payments": 0,
    "notifications": 0,
    "orders": 1,
    "cancellations": 2,
    "disputes": 2,
    "sellercentral": 3,
}
# Same-floor imports docs/DESIGN.md §12 allows: disputes may call cancellations; money calls go
# through the outbox, which knows nothing of payments.
ALLOWED_SIDEWAYS = {("disputes", "cancellations"), ("payments", "notifications")}


def imported_apps(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names & set(FLOORS)


@pytest.mark.parametrize("app", sorted(FLOORS))
def test_apps_import_only_downwards(app):
    offenders = []
    for path in (BASE_DIR / app).rglob("*.py"):
        if "migrations" in path.parts:
            continue  # Django writes cross-app migration dependencies itself
        for other in imported_apps(path):
            if other == app or (app, other) in ALLOWED_SIDEWAYS:
                continue
            if FLOORS[other] >= FLOORS[app]:
                offenders.append(f"{path.relative_to(BASE_DIR)} imports {other}")
    assert offenders == []


def test_the_check_sees_an_upward_import(tmp_path):
    """The scanner itself: an upward import is found."""
    module = tmp_path / "m.py"
    module.write_text("from cancellations.services import cancel_items\nimport orders.models\n")
    assert imported_apps(module) == {"cancellations", "orders"}
