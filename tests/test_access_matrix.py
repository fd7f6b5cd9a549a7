"""
The access matrix (tests/access_matrix.py) as a test: every URL the resolver
knows × every demo account and anonymous is allowed or denied as docs/DESIGN.md §14 says, a POST
without a CSRF token is refused everywhere, and none of these requests changes the
domain's tables. A new URL without a written expectation fails here until one is added.
"""

import pytest
from django.core.management import call_command

from tests.access_matrix import run_matrix


@pytest.mark.django_db
def test_every_url_is_allowed_or_denied_as_designed(settings):
    """Given the demo data, when every account requests every URL, then no cell surprises."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", force=True, verbosity=0)

    result = run_matrix(verbose=False)

    assert len(result.rows) > 40  # the resolver was really walked
    assert result.surprises == []
