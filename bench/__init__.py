"""Benchmarks: `python -m bench.bench_results` prints figures and fails when too slow."""
