"""The engine: tensors, ops and autograd on NumPy. Knows nothing about text or terminals."""

import numpy as _np

_np.seterr(all="ignore")  # overflow and 0/0 give inf/nan silently, as in PyTorch

# Graphs are many small acyclic objects (nodes, tensors, tuples): frequent generational collections
# would scan them all again and again for cycles that are not there. Collect far less often: the
# young generation every 50,000 net allocations, the middle one only every 1,000 of those (a
# million-op graph would otherwise be rescanned in the middle generation at ~1 µs per op).
import gc as _gc

_gc.set_threshold(50_000, 1_000, 100)
