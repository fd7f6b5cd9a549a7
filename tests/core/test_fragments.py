"""The fragment cache (core/fragments.py): what is rendered or fetched, and a cache that is down."""

from unittest import mock

from django.utils import timezone

from core import fragments

TEMPLATE = "cancellations/_request_flag.html"  # any small template without context


def render(items, rendered, prepared, facts=lambda item: (item,)):
    def context(item):
        rendered.append(item)
        return {}

    return fragments.render_each(
        items, template=TEMPLATE, name="test", facts=facts, context=context, prepare=prepared.append
    )


def test_only_the_fragments_not_cached_are_prepared_and_rendered():
    first_rendered, first_prepared = [], []
    render([1, 2], first_rendered, first_prepared)

    rendered, prepared = [], []
    html = render([1, 2, 3], rendered, prepared)

    assert first_rendered == [1, 2] and first_prepared == [[1, 2]]
    assert rendered == [3] and prepared == [[3]]
    assert len(html) == 3 and all('data-testid="request-flag"' in part for part in html)


def test_a_changed_fact_is_a_new_fragment():
    render([1], [], [], facts=lambda item: (item, "v1"))
    rendered = []

    render([1], rendered, [], facts=lambda item: (item, "v2"))

    assert rendered == [1]


def test_the_display_time_zone_is_part_of_the_key():
    with timezone.override("America/New_York"):
        east = fragments.fragment_key("test", 1)
    with timezone.override("America/Los_Angeles"):
        west = fragments.fragment_key("test", 1)

    assert east != west


def test_the_release_names_the_key_and_without_one_the_process_start_does(settings):
    """
    Given a release, every process keys by it and a new release makes new keys; without
    one the key is this process's own.
    """
    settings.RELEASE = "abc123"
    first = fragments.fragment_key("test", 1)
    assert fragments.code_version() == "abc123"
    settings.RELEASE = "def456"
    assert fragments.fragment_key("test", 1) != first
    settings.RELEASE = "abc123"  # another process of the same release
    assert fragments.fragment_key("test", 1) == first
    settings.RELEASE = ""
    assert fragments.code_version() == fragments.PROCESS_START


def test_a_cache_that_is_down_is_asked_once_and_everything_is_rendered():
    broken = mock.Mock()
    broken.get_many.side_effect = ConnectionError("refused")
    rendered = []

    with mock.patch.object(fragments, "cache", broken):
        html = render([1, 2], rendered, [])
        one = fragments.render_one(template=TEMPLATE, name="one", facts=(1,), context=dict)

    assert rendered == [1, 2] and len(html) == 2
    assert 'data-testid="request-flag"' in one
    assert broken.get_many.call_count == 2  # once per fragment call, never retried
    broken.set_many.assert_not_called()
