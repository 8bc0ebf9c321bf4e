"""Pathways benchmarks: `make bench` (national scale) and `make bench-smoke` (tiny).

Not run as tests and not shipped: see docs/performance.md.
"""
