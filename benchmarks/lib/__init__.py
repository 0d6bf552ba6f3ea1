"""Helpers of the benchmark scripts: metrics, grid, runs, summaries, tables, plots."""
