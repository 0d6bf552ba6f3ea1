"""Pieces shared by the command-line scripts: options and the error boundary."""
