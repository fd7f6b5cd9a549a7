"""
Demo data for `make run`, screenshots and benchmarks (the `seed_demo` command): the cast
(accounts and listings), the story (the walk-through's orders and the shops' past), the
Resolution Center's cases, and the benchmarks' bulk orders.
"""
