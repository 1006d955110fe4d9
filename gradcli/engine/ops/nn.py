"""nn.functional ops (placeholder while being written)."""
FUNCTIONS: dict = {}
FUNCTIONAL: dict = {}
