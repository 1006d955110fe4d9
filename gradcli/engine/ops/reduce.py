"""Reductions (placeholder while being written)."""
FUNCTIONS: dict = {}
