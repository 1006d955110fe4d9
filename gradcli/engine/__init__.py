"""The engine: tensors, ops and autograd on NumPy. Knows nothing about text or terminals."""

import numpy as _np

_np.seterr(all="ignore")  # overflow and 0/0 give inf/nan silently, as in PyTorch
