"""
The floors of the house: imports run one way, read from every module of each app (tests aside).

`programme` imports no other app; `mail` imports no domain app; `cohorts` imports
nothing of `registry`, `billing` or `public_pages`, and `registry` and `billing` nothing of
each other; no domain app imports `public_pages`, the app
of the pages above them all. A lazy import inside a function counts as much as one at
the top of a module, and so does a template of `cohorts` that names another app's page
(the public pages' URL names are `public:...`).
"""

import ast
import re
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = {"programme", "cohorts", "registry", "billing", "evaluations", "materials", "privacy", "audit"}
APPS = DOMAIN | {"mail", "public_pages", "verbindend"}

# Each app, and the apps it must never import.
FORBIDDEN = {
    "programme": APPS - {"programme"},
    "mail": DOMAIN | {"public_pages"},
    "cohorts": {"registry", "billing", "evaluations", "materials", "public_pages"},
    "registry": {"billing", "evaluations", "materials", "public_pages"},
    "billing": {"registry", "evaluations", "materials", "public_pages"},
    "evaluations": APPS - {"evaluations", "programme", "cohorts", "mail", "audit", "verbindend"},
    "materials": {"registry", "billing", "evaluations", "public_pages"},
    "privacy": {"public_pages"},
    "audit": {"public_pages"},
}
# What cohorts' templates must not name: URL namespaces and template folders.
COHORTS_TEMPLATES_FORBIDDEN = {"registry", "public", "public_pages"}

# A template naming a URL or a template of another app: {% url 'registry:verify' %},
# {% include "public_pages/rate_limited.html" %}.
TEMPLATE_REFERENCE = re.compile(
    r"""{%\s*(?:url\s+['"](?P<namespace>\w+):|(?:include|extends)\s+['"](?P<folder>\w+)/)"""
)


def imported_modules(source: str) -> set[str]:
    """Return every module an absolute import in this source names, wherever in the module it stands."""
    modules = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", None)) in {"import_module", "__import__"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            modules.add(node.args[0].value)
    return modules


def product_files(root: Path, app: str, suffix: str) -> list[Path]:
    return [path for path in sorted((root / app).rglob(f"*{suffix}")) if "tests" not in path.relative_to(root).parts]


def violations(root: Path) -> list[str]:
    """Return each import, and each template reference of cohorts, that goes against the floors."""
    found = []
    for app, forbidden in FORBIDDEN.items():
        for path in product_files(root, app, ".py"):
            for module in sorted(imported_modules(path.read_text(encoding="utf-8"))):
                if module.split(".")[0] in forbidden:
                    found.append(f"{path.relative_to(root)} imports {module}")
    for path in product_files(root, "cohorts", ".html") + product_files(root, "cohorts", ".txt"):
        for match in TEMPLATE_REFERENCE.finditer(path.read_text(encoding="utf-8")):
            other = match["namespace"] or match["folder"]
            if other in COHORTS_TEMPLATES_FORBIDDEN:
                found.append(f"{path.relative_to(root)} names {match[0]}")
    return found


def test_every_app_imports_only_the_floors_below_it():
    assert violations(ROOT) == []


def test_no_package_of_the_project_hides_an_installed_module():
    """A folder named like an installed module (atpublic's `public`, which aiosmtpd imports) would shadow it."""
    installed = set(packages_distributions())
    ours = {path.parent.name for path in ROOT.glob("*/__init__.py")}
    assert ours & installed == set()


def test_the_rules_read_every_app_there_is():
    """A new app must be given its floor here, or the rules would not read it."""
    apps = {path.parent.name for path in ROOT.glob("*/apps.py")}
    assert apps == APPS


@pytest.mark.parametrize(
    ("app", "source", "module"),
    [
        ("cohorts", "from registry.models import Certificate\n", "registry.models"),
        ("cohorts", "def recode():\n    from registry.models import Certificate\n", "registry.models"),
        ("cohorts", "import public_pages.views\n", "public_pages.views"),
        ("cohorts", "from importlib import import_module\nimport_module('registry.services')\n", "registry.services"),
        ("programme", "from cohorts.models import Cohort\n", "cohorts.models"),
        ("programme", "from verbindend.ics import calendar_response\n", "verbindend.ics"),
        ("mail", "from cohorts.services import links\n", "cohorts.services"),
        ("registry", "from public_pages.forms import VerificationForm\n", "public_pages.forms"),
        ("privacy", "from public_pages import views\n", "public_pages"),
    ],
)
def test_a_forbidden_import_is_found_wherever_it_stands(tmp_path, app, source, module):
    (tmp_path / app / "services").mkdir(parents=True)
    (tmp_path / app / "services" / "module.py").write_text(source)
    assert violations(tmp_path) == [f"{app}/services/module.py imports {module}"]


def test_allowed_imports_and_tests_are_not_violations(tmp_path):
    (tmp_path / "cohorts" / "tests").mkdir(parents=True)
    (tmp_path / "cohorts" / "services.py").write_text("from programme.models import Programme\nfrom . import tokens\n")
    (tmp_path / "cohorts" / "tests" / "test_it.py").write_text("from public_pages.forms import OwnDetailsForm\n")
    (tmp_path / "public_pages").mkdir()
    above = "from cohorts import selectors\nfrom registry import selectors\n"
    (tmp_path / "public_pages" / "views.py").write_text(above)
    assert violations(tmp_path) == []


@pytest.mark.parametrize(
    "template",
    [
        "<a href=\"{% url 'registry:participant_certificate' token=token certificate_id=1 %}\">",
        "<a href=\"{% url 'public:board' token=token %}\">",
        '{% include "public_pages/rate_limited.html" %}',
        "{% extends 'registry/base.html' %}",
    ],
)
def test_a_cohorts_template_that_names_another_apps_page_is_found(tmp_path, template):
    (tmp_path / "cohorts" / "templates" / "cohorts").mkdir(parents=True)
    (tmp_path / "cohorts" / "templates" / "cohorts" / "page.html").write_text(template)
    assert len(violations(tmp_path)) == 1
