"""
How the tests and bench_scale.py tell a bounded count from one that reads a whole table
(issue 23: no admin list may run a COUNT(*) over 100,000 rows on each page view).
"""

import re

# Django's bounded count: SELECT COUNT(*) FROM (SELECT … LIMIT n) subquery.
LIMITED_COUNT = re.compile(r"LIMIT \d+\)\s+subquery\s*$", re.IGNORECASE)
# A list's own page: its statement ends with the page's LIMIT (and OFFSET).
PAGE_LIMITED = re.compile(r"LIMIT \d+( OFFSET \d+)?\s*$", re.IGNORECASE)


def unbounded_counts(queries: list[dict[str, str]]) -> list[str]:
    """Statements that count rows with no LIMIT around them: each reads every row it counts
    (a LIMIT inside, as in an EXISTS subquery, bounds nothing)."""
    return [
        query["sql"]
        for query in queries
        if "COUNT(" in query["sql"].upper()
        and not LIMITED_COUNT.search(query["sql"])
        and not PAGE_LIMITED.search(query["sql"])
    ]
