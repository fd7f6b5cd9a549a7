"""
What closing an account waits for and what it does beyond ``accounts``. The apps above
(orders, cancellations, disputes, Seller Central) know what a person still has open and
what of theirs must change when they leave; ``accounts`` sits below them (imports point
down, docs/DESIGN.md §12), so each registers here in its ``AppConfig.ready``:

    closing.blocker(open_orders)          # user → [Blocker("Order 123-…", url), …]
    closing.on_close(anonymise_orders)    # user → None, inside the closing transaction

``accounts.services.close_account`` asks every blocker under the user's row lock and runs
every step in the same transaction (docs/DESIGN.md §16).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.models import User


@dataclass(frozen=True)
class Blocker:
    """One open thing that keeps the account open, as the person reads it, with its page."""

    text: str
    url: str


BlockerCheck = Callable[[User], list[Blocker]]
CloseStep = Callable[[User], None]

_blockers: list[BlockerCheck] = []
_steps: list[CloseStep] = []


def blocker(function: BlockerCheck) -> BlockerCheck:
    """Register a check of what the person still has open (idempotent)."""
    if function not in _blockers:
        _blockers.append(function)
    return function


def on_close(function: CloseStep) -> CloseStep:
    """Register a step run when an account closes, in the closing transaction (idempotent)."""
    if function not in _steps:
        _steps.append(function)
    return function


def blockers(user: User) -> list[Blocker]:
    """Everything the person still has open, from every registered check."""
    return [found for check in _blockers for found in check(user)]


def run_steps(user: User) -> None:
    for step in _steps:
        step(user)
