"""Choosing which responses to send to the oracle next."""
