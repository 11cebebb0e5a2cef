"""Benchmarks with their targets. Not part of the tests: `make bench` runs them."""
