"""The skip-or-fail switch: a missing service skips on a laptop and fails in CI."""

import pytest

from tests.conftest import skip_or_fail


def test_missing_service_skips_without_require_services(monkeypatch):
    monkeypatch.delenv("REQUIRE_SERVICES", raising=False)
    with pytest.raises(pytest.skip.Exception):
        skip_or_fail("no PostgreSQL here")


@pytest.mark.parametrize("value", ["1", "true", "yes"])
def test_missing_service_fails_with_require_services(monkeypatch, value):
    monkeypatch.setenv("REQUIRE_SERVICES", value)
    with pytest.raises(pytest.fail.Exception, match="REQUIRE_SERVICES is set but no PostgreSQL"):
        skip_or_fail("no PostgreSQL here")


@pytest.mark.redis
def test_celery_broker_round_trip_through_redis():
    """A message published to the configured Redis broker comes back out."""
    from kombu import Connection

    from tests.conftest import redis_url

    with Connection(redis_url()) as conn:
        queue = conn.SimpleQueue("marketplace-ci-probe")
        queue.put({"ping": 1})
        message = queue.get(timeout=2)
        message.ack()
        queue.close()
    assert message.payload == {"ping": 1}
