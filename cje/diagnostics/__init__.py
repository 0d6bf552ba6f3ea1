"""Diagnostics: weight health, calibration quality, transport, and the gates."""
