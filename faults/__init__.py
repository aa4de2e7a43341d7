"""Fault scenarios: the service under load while something breaks, then a count of what
was lost (`make fault`, or `python -m faults [--only NAME]`).

They live here, not in tests/ or bench/: a scenario restarts a database server and kills
processes for tens of seconds, which is no unit test, and it checks invariants (nothing
lost, 503 not 500) rather than measuring ratios against a baseline as bench/ does.
Every scenario starts its own servers on free loopback ports, has a hard time limit, and
stops everything it started.
"""
