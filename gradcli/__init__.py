"""gradcli: a command-line gradient calculator (PyTorch-style autograd on NumPy)."""

__version__ = "0.1.0"
