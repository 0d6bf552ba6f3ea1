"""Reports of an analysis: console tables, JSON, and the extreme-weights text."""
