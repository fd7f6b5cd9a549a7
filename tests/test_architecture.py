"""
The house's shape, checked from the source alone (no database: `make lint` runs it).

Imports and URL names point one way, down the floors of docs/DESIGN.md §12, and never back
up; the tests stand apart from the benchmarks; and every function fits on a screen.
"""

import ast
import re
import tomllib
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent

# An app may use the apps on lower floors only (and itself). `marketplace` (settings, URLs,
# the Celery app, the demo data) wires them all together, so nothing may import it: the
# entry points that do (manage.py, wsgi, asgi, the Celery worker) live inside it, and
# tests and benchmarks are not apps.
FLOORS = {
    "core": -1,
    "accounts": 0,
    "catalog": 0,
    "payments": 0,
    "notifications": 0,
    "orders": 1,
    "cancellations": 2,
    "returns": 2,
    "disputes": 2,
    "sellercentral": 3,
    "marketplace": 4,
}
# Same-floor imports docs/DESIGN.md §12 allows: disputes may call cancellations; money calls go
# through the outbox, which knows nothing of payments or accounts.
ALLOWED_SIDEWAYS = {
    ("disputes", "cancellations"),
    ("disputes", "returns"),  # cases about a refused return or a return's refund
    ("payments", "notifications"),
    ("accounts", "notifications"),  # account emails go through the outbox like all others
}

# Templates outside templates/<app>/ belong to marketplace (base, home, errors, partials,
# admin, registration).
TEMPLATES = BASE_DIR / "templates"
URL_TAG = re.compile(r"""\{%\s*url\s+["'](\w+):""")
URL_NAME = re.compile(r"(\w+):\w*")


def python_files(app: str) -> Iterator[Path]:
    for path in sorted((BASE_DIR / app).rglob("*.py")):
        if "migrations" not in path.parts:  # Django writes cross-app dependencies itself
            yield path


@cache
def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def imported_apps(path: Path) -> set[str]:
    tree = parse(path)
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@cache
def url_namespaces() -> dict[str, str]:
    """Each URL namespace (``app_name`` of a urls module) and the app that serves it."""
    namespaces = {}
    for app in FLOORS:
        for path in python_files(app):
            for node in ast.walk(parse(path)):
                if (
                    isinstance(node, ast.Assign)
                    and any(getattr(t, "id", None) == "app_name" for t in node.targets)
                    and isinstance(node.value, ast.Constant)
                ):
                    namespaces[node.value.value] = app
    return namespaces


def url_names_in_python(path: Path, namespaces: dict[str, str]) -> set[str]:
    """
    Apps whose URLs the module names: a string that is a namespaced URL name, as given to
    ``reverse``, ``reverse_lazy``, ``redirect`` or kept in a table of links (an f-string's
    opening ``"orders:"`` counts too).
    """
    apps = set()
    for node in ast.walk(parse(path)):
        if isinstance(node, ast.JoinedStr) and node.values:
            node = node.values[0]
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            match = URL_NAME.fullmatch(node.value)
            if match and match[1] in namespaces:
                apps.add(namespaces[match[1]])
    return apps


def url_names_in_template(path: Path, namespaces: dict[str, str]) -> set[str]:
    """Apps whose URLs the template names in ``{% url 'namespace:name' %}``."""
    return {namespaces[ns] for ns in URL_TAG.findall(path.read_text()) if ns in namespaces}


def template_app(path: Path) -> str:
    folder = path.relative_to(TEMPLATES).parts[0]
    return folder if folder in FLOORS and path.parent != TEMPLATES else "marketplace"


def references(app: str) -> Iterator[tuple[str, str]]:
    """(file, other app) for every app the code and templates of ``app`` import or link to."""
    namespaces = url_namespaces()
    for path in python_files(app):
        apps = imported_apps(path) & set(FLOORS) | url_names_in_python(path, namespaces)
        yield from ((str(path.relative_to(BASE_DIR)), other) for other in apps)
    for path in sorted(TEMPLATES.rglob("*.*")):
        if template_app(path) == app:
            for other in url_names_in_template(path, namespaces):
                yield str(path.relative_to(BASE_DIR)), other


def upward(app: str, other: str) -> bool:
    if other == app or (app, other) in ALLOWED_SIDEWAYS:
        return False
    return FLOORS[other] >= FLOORS[app]


def test_every_app_has_a_floor():
    """A new app (a folder with apps.py) is placed on a floor before anything checks it."""
    apps = {path.parent.name for path in BASE_DIR.glob("*/apps.py")}
    assert apps - set(FLOORS) == set()


def test_every_app_is_type_checked():
    """A new app is in mypy's files too (make lint), not only on a floor."""
    config = tomllib.loads((BASE_DIR / "pyproject.toml").read_text())
    assert set(FLOORS) - set(config["tool"]["mypy"]["files"]) == set()


# marketplace, on top, reaches every app; what reaches up to it is found from below.
@pytest.mark.parametrize("app", sorted(set(FLOORS) - {"marketplace"}))
def test_apps_import_and_link_only_downwards(app):
    """Given an app's modules and templates, then none imports or names a URL of a higher app."""
    offenders = [f"{path} uses {other}" for path, other in references(app) if upward(app, other)]
    assert offenders == []


def test_the_check_tells_up_from_down_and_the_allowed_sideways():
    """The judge itself: a higher or same-floor app is upward, a lower one and the allowed
    sideways pairs are not."""
    assert upward("orders", "cancellations")
    assert upward("cancellations", "disputes")
    assert upward("catalog", "marketplace")
    assert not upward("disputes", "cancellations")
    assert not upward("payments", "notifications")
    assert not upward("orders", "catalog")
    assert not upward("orders", "orders")


def test_the_check_sees_an_upward_import(tmp_path):
    """The scanner itself: an upward import is found."""
    module = tmp_path / "m.py"
    module.write_text("from cancellations.services import cancel_items\nimport orders.models\n")
    assert imported_apps(module) & set(FLOORS) == {"cancellations", "orders"}


def test_the_check_sees_an_upward_url_name(tmp_path):
    """The scanner itself: URL names in reverse, redirect, a link table or an f-string."""
    module = tmp_path / "m.py"
    module.write_text(
        'reverse("cancellations:cancel_items", args=[1])\n'
        "LINKS = [('disputes:case_list', 'Cases')]\n"
        'redirect(f"storefront:{name}")\n'
        'label = "Note: admin:index and 12:30 are not ours"\n'
    )
    namespaces = {"cancellations": "cancellations", "disputes": "disputes", "storefront": "orders"}
    assert url_names_in_python(module, namespaces) == {"cancellations", "disputes", "orders"}


def test_the_check_sees_a_url_tag_and_who_owns_the_template(tmp_path):
    """The scanner itself: {% url %} in templates, and which app a template belongs to."""
    template = tmp_path / "t.html"
    template.write_text("""<a href="{% url 'disputes:case_list' %}">{% url "admin:index" %}</a>""")
    assert url_names_in_template(template, {"disputes": "disputes"}) == {"disputes"}
    assert template_app(TEMPLATES / "orders" / "emails" / "late_body.html") == "orders"
    assert template_app(TEMPLATES / "partials" / "nav.html") == "marketplace"
    assert template_app(TEMPLATES / "home.html") == "marketplace"


def test_the_current_namespaces_are_found():
    """The storefront's URLs are served by orders, so naming them reaches orders."""
    namespaces = url_namespaces()
    assert namespaces["storefront"] == "orders"
    assert namespaces["cancellations"] == "cancellations"


# --- Tests and benchmarks ------------------------------------------------------------------
def test_tests_do_not_import_the_benchmarks():
    """What both need lives in the tests (tests/access_matrix.py) or the apps."""
    offenders = [
        str(path.relative_to(BASE_DIR))
        for path in sorted((BASE_DIR / "tests").rglob("*.py"))
        if "benchmarks" in imported_apps(path)
    ]
    assert offenders == []


def test_the_check_sees_a_test_importing_a_benchmark(tmp_path):
    module = tmp_path / "test_m.py"
    module.write_text("from benchmarks.drill_access_matrix import run_matrix\n")
    assert "benchmarks" in imported_apps(module)


# --- Function size ---------------------------------------------------------------------------
MAX_FUNCTION_LINES = 50
# The project's code: the apps and the scripts beside them (not tests, benchmarks or migrations).
CODE = [*FLOORS, "docs"]


def long_functions(path: Path, limit: int = MAX_FUNCTION_LINES) -> Iterator[str]:
    """``path:Class.function`` of each function longer than ``limit`` lines (def to last line)."""
    relative = path.relative_to(BASE_DIR) if path.is_relative_to(BASE_DIR) else path.name

    def visit(node: ast.AST, prefix: str) -> Iterator[str]:
        for child in ast.iter_child_nodes(node):
            name = getattr(child, "name", "")
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                if child.end_lineno - child.lineno + 1 > limit:
                    yield f"{relative}:{prefix}{name}"
                yield from visit(child, f"{prefix}{name}.")
            elif isinstance(child, ast.ClassDef):
                yield from visit(child, f"{prefix}{name}.")
            else:
                yield from visit(child, prefix)

    yield from visit(parse(path), "")


def all_long_functions() -> set[str]:
    return {name for app in CODE for path in python_files(app) for name in long_functions(path)}


def test_every_function_fits_on_a_screen():
    """Given the project's code, then no function or method is longer than 50 lines."""
    assert all_long_functions() == set()


def test_the_check_sees_a_long_method(tmp_path):
    """The scanner itself: a method one line over the limit is named with its class."""
    module = tmp_path / "m.py"
    body = "".join(f"        x = {n}\n" for n in range(MAX_FUNCTION_LINES))
    module.write_text(f"class View:\n    def post(self):\n{body}    def get(self):\n        pass\n")
    assert list(long_functions(module)) == ["m.py:View.post"]
