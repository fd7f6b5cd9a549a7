"""The portal's settings plus a benchmark-only URL (/bench/minimal/); never used by the product."""

from marketplace.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.bench_urls"
