"""ChronoEdge over-the-air updates: build, sign, verify, apply, roll back."""
