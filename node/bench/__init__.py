"""Benchmarks behind `scripts/bench` (`python -m node.bench`): crypto and end-to-end sections."""
