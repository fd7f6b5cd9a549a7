"""The pre-commit hooks run what `make lint` runs, so a commit is checked as CI checks it."""

import re
from pathlib import Path

import yaml
from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def test_the_pre_commit_hooks_run_each_check_of_make_lint():
    """Every command of the Makefile's lint recipe has a hook running the same tool and mode."""
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    entries = [hook["entry"] for repo in config["repos"] for hook in repo["hooks"]]
    recipe = re.search(r"^lint:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.MULTILINE)
    commands = [line.strip().replace("$(BIN)/", ".venv/bin/") for line in recipe[1].splitlines()]

    assert len(commands) == 6  # ruff ×2, djLint, makemigrations, mypy, the architecture test
    for command in commands:
        words = set(command.split()) - {".", "templates"}  # the hooks get the files instead
        assert any(words <= set(entry.split()) for entry in entries), command
