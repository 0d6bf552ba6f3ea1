"""Crash-safe JSONL files: atomic rewrites, append-only stores, locks."""
