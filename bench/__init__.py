"""Measurements (the benchmark suite and `make bench` come with the benchmarks issue)."""
