"""Benchmarks of the cje analysis (scripts and their helper package)."""
