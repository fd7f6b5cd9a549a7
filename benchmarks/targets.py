"""
Issue 23's targets, as each benchmark meets or misses them.

A benchmark calls ``report(name, target, figure, met)`` once per target it measures: the
line is printed at once and, when ``BENCH_RESULTS`` names a file (``make bench`` sets
it), appended there as one JSON object. ``python benchmarks/targets.py FILE`` prints the
whole table at the end of ``make bench`` and exits 1 when a target was missed, so a
reader sees every figure beside its target in one place.
"""

import json
import os
import sys


def report(name: str, target: str, figure: str, met: bool) -> None:
    """Print one target with its figure; record it for the summary when asked."""
    print(f"TARGET {name}: {figure} (target {target}) — {'met' if met else 'MISSED'}", flush=True)
    path = os.environ.get("BENCH_RESULTS")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            record = {"name": name, "target": target, "figure": figure, "met": met}
            out.write(json.dumps(record) + "\n")


def summary(path: str) -> int:
    """The table of every recorded target; 1 when one was missed or none was recorded."""
    try:
        with open(path, encoding="utf-8") as results:
            rows = [json.loads(line) for line in results if line.strip()]
    except FileNotFoundError:
        rows = []
    if not rows:
        print("No target was measured.")
        return 1
    width = max(len(row["name"]) for row in rows)
    print(f"\n{'target':<{width}}  {'figure':<28}  {'wanted':<24}  result")
    for row in rows:
        result = "met" if row["met"] else "MISSED"
        print(f"{row['name']:<{width}}  {row['figure']:<28}  {row['target']:<24}  {result}")
    missed = sum(1 for row in rows if not row["met"])
    print(f"\n{len(rows) - missed} of {len(rows)} targets met.")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(summary(sys.argv[1]))
