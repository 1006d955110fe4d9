"""Optimisers (placeholder while being written)."""


class SGD:
    pass
