"""`make help` is the newcomer's index of the Makefile: it names every target."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

MAKEFILE = Path(settings.BASE_DIR) / "Makefile"


def makefile_targets() -> set[str]:
    """The commands the Makefile offers: its .PHONY targets (the others are files it makes)."""
    (phony,) = re.findall(r"^\.PHONY:(.*)$", MAKEFILE.read_text(), re.MULTILINE)
    return set(phony.split())


@pytest.fixture
def make_help() -> str:
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    return subprocess.run(
        [make, "--no-print-directory", "-s", "-f", str(MAKEFILE), "help"],
        cwd=MAKEFILE.parent,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout


def test_make_help_lists_every_target(make_help):
    listed = re.findall(r"^make ([a-z-]+) ", make_help, re.MULTILINE)
    targets = makefile_targets()
    assert {"run", "test", "lint", "bench", "clean"} <= targets  # the parser sees the rules
    assert set(listed) == targets


def test_make_help_shows_how_to_run_only_some_tests(make_help):
    assert "make test PYTEST_ARGS=" in make_help
    assert "$(PYTEST_ARGS)" in MAKEFILE.read_text()
