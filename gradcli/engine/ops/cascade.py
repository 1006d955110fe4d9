"""PyTorch's CPU float sum, to the last bit: the order in which ATen adds the elements.

A float sum depends on the order of its additions. NumPy sums pairwise in blocks of 8; ATen's
`cascade_sum` (aten/src/ATen/native/cpu/SumKernel.cpp) runs over a TensorIterator and adds
elements in its own order, which this module reproduces with NumPy operations (no Python loop
over elements):

- TensorIterator drops size-1 dims, orders the dims innermost first with the reduced dims in
  front, coalesces dims that are contiguous for input and output alike, and hands the two
  innermost dims to the kernel as a 2-D chunk; every chunk adds (`+=`) its results into the
  output, which starts at zero.
- Per chunk, `cascade_sum` picks a kernel from the strides: a vectorized inner sum (contiguous
  reduced dim, at least one vector long), a vectorized outer sum (contiguous kept dim), or the
  scalar forms; all of them are built from `row_sum` (four interleaved partial sums) and
  `multi_row_sum` (a sequential sum moved up four levels every 16 elements).

The vector width is the one of the CPU capability PyTorch dispatches to (AVX-512: 64 bytes).
Sums of more than GRAIN elements (which ATen may split across threads) and non-float sums are
NumPy's.
"""

from __future__ import annotations

import numpy as np

VECTOR_BYTES = 32  # 8 floats: the AVX2 kernel, which PyTorch runs for sums also on AVX-512 CPUs
GRAIN = 32768  # at::internal::GRAIN_SIZE: below it a reduction runs on one thread, in this order
LEVELS = 4  # multi_row_sum's num_levels
ILP = 4  # row_sum's ilp_factor and the outer kernels' nrows


def _seq(x: np.ndarray) -> np.ndarray:
    """Σ along the last axis in order, starting from +0 (a running `acc += x`)."""
    if x.shape[-1] == 0:
        return np.zeros(x.shape[:-1], x.dtype)
    return np.cumsum(x, axis=-1, dtype=x.dtype)[..., -1] + x.dtype.type(0)


def _ceil_log2(n: int) -> int:
    return 0 if n <= 1 else (n - 1).bit_length()


def _levels(x: np.ndarray) -> np.ndarray:
    """multi_row_sum along the last axis: sequential sums of blocks of `step` elements, the block sums
    gathered level by level (each level flushed up every `step` entries), the tail added at the end."""
    n = x.shape[-1]
    if n < 16:  # a single block, not full: the plain running sum
        return _seq(x)
    lead = x.shape[:-1]
    power = max(4, _ceil_log2(n) // LEVELS)
    step = 1 << power
    blocks = n // step
    full = blocks * step
    acc = [_seq(x[..., full:])]
    level = _seq(x[..., :full].reshape(lead + (blocks, step)))
    for _ in range(LEVELS - 2):
        groups = level.shape[-1] // step
        acc.append(_seq(level[..., groups * step:]))
        level = _seq(level[..., :groups * step].reshape(lead + (groups, step)))
    acc.append(_seq(level))
    out = acc[0]
    for a in acc[1:]:
        out = out + a
    return out


def _row(x: np.ndarray) -> np.ndarray:
    """row_sum along the last axis: four interleaved partial sums (each a multi_row_sum), the tail
    added to the first, then the four added in order."""
    n = x.shape[-1]
    if n < ILP:  # no partial sums: 0 + x0 + x1 + ..., then + 0 three times, which is _seq's sum
        return _seq(x)
    lead = x.shape[:-1]
    rows = n // ILP
    if rows:
        parts = _levels(np.swapaxes(x[..., :rows * ILP].reshape(lead + (rows, ILP)), -1, -2))
    else:
        parts = np.zeros(lead + (ILP,), x.dtype)
    first = parts[..., 0]
    for i in range(rows * ILP, n):
        first = first + x[..., i]
    for k in range(1, ILP):
        first = first + parts[..., k]
    return first


def _inner_vectorized(x: np.ndarray, lanes: int) -> np.ndarray:
    """vectorized_inner_sum: row_sum over whole vectors (lane by lane), then 0 + the tail + the lanes."""
    n = x.shape[-1]
    lead = x.shape[:-1]
    vectors = n // lanes
    acc = _row(np.swapaxes(x[..., :vectors * lanes].reshape(lead + (vectors, lanes)), -1, -2))
    return _seq(np.concatenate([x[..., vectors * lanes:], acc], axis=-1))


def _columns(x: np.ndarray, split: int) -> np.ndarray:
    """The outer kernels: columns before `split` by multi_row_sum, the others by row_sum."""
    parts = []
    if split:
        parts.append(_levels(x[..., :split, :]))
    if split < x.shape[-2]:
        parts.append(_row(x[..., split:, :]))
    return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=-1)


def _chunk_sums(x: np.ndarray, s0: int, s1: int, lanes: int) -> np.ndarray:
    """cascade_sum's choice of kernel for chunks x[..., j, i] (i the reduced dim 0, j dim 1)."""
    n1, n0 = x.shape[-2], x.shape[-1]
    if s0 == 1 and n0 >= lanes:
        return _inner_vectorized(x, lanes)
    if s1 == 1 and n1 >= lanes:
        return _columns(x, n1 // (ILP * lanes) * ILP * lanes)
    if s0 < s1:
        return _row(x)
    return _columns(x, n1 // ILP * ILP)


def _should_swap(d0, d1, sizes, ins, outs) -> int:
    """TensorIterator's reorder_dimensions comparison (output first, then input)."""
    for strides, is_output in ((outs, True), (ins, False)):
        a, b = strides[d0], strides[d1]
        if is_output and (a == 0) != (b == 0):
            return 1 if b == 0 else -1
        if a == 0 or b == 0:
            continue
        if a < b:
            return -1
        if a > b:
            return 1
        if sizes[d0] > sizes[d1]:
            return 1
    return 0


def supported(a: np.ndarray) -> bool:
    return a.dtype.kind == "f" and a.dtype.itemsize >= 4 and 0 < a.size <= GRAIN and \
        (a.flags.c_contiguous or all(s >= 0 and s % a.itemsize == 0 for s in a.strides))


def _flat_sum(r: np.ndarray) -> np.ndarray:
    """The sum of a contiguous 1-D array: one inner reduction."""
    lanes = VECTOR_BYTES // r.itemsize
    return _inner_vectorized(r, lanes) if r.size >= lanes else _row(r)


def torch_sum(a: np.ndarray, axes: tuple, keepdim: bool = False) -> np.ndarray:
    """Σ of a float array over `axes` (sorted, non-negative) as PyTorch's CPU kernel computes it."""
    if not supported(a):
        return np.sum(a, axis=axes, keepdims=keepdim)
    if len(axes) == a.ndim and a.flags.c_contiguous:  # the whole of a contiguous array, the common case
        total = _flat_sum(a.reshape(-1))
        return total.reshape((1,) * a.ndim) if keepdim else total
    shape = a.shape
    item = a.itemsize
    kept = tuple(1 if i in axes else s for i, s in enumerate(shape))
    out = np.zeros(kept, a.dtype)
    ins = [s // item for s in a.strides]
    outs = [0 if i in axes else s // item for i, s in enumerate(out.strides)]
    sizes = list(shape)
    perm = [d for d in reversed(range(a.ndim)) if shape[d] != 1]  # innermost first
    for i in range(1, len(perm)):  # insertion sort, as TensorIterator does it
        j = i
        for k in range(i - 1, -1, -1):
            c = _should_swap(perm[k], perm[j], sizes, ins, outs)
            if c > 0:
                perm[k], perm[j] = perm[j], perm[k]
                j = k
            elif c < 0:
                break
    dims = []  # (size, input stride, output stride), coalesced
    for d in perm:
        if dims:
            size, si, so = dims[-1]
            if ins[d] == si * size and outs[d] == so * size:
                dims[-1] = (size * sizes[d], si, so)
                continue
        dims.append((sizes[d], ins[d], outs[d]))
    if not dims or dims[0][2] != 0:  # nothing reduced (only size-1 dims): each output is 0 + its element
        return (a + a.dtype.type(0)).reshape(out.shape if keepdim else _squeezed(shape, axes))
    if len(dims) == 1:
        dims.append((1, 0, 0))
    lanes = VECTOR_BYTES // item
    (n0, s0, _), (n1, s1, o1) = dims[0], dims[1]
    outer = dims[2:][::-1]  # slowest first
    view = np.lib.stride_tricks.as_strided(
        a, [d[0] for d in outer] + [n1, n0], [d[1] * item for d in outer] + [s1 * item, s0 * item])
    sums = _chunk_sums(view, s0, s1, lanes)  # (outer..., n1)
    chain = outer + [(n1, s1, o1)]  # the axes of `sums`, slowest first
    keep = [i for i, d in enumerate(chain) if d[2] != 0]
    fold = [i for i, d in enumerate(chain) if d[2] == 0]
    sums = np.transpose(sums, keep + fold)
    sums = _seq(sums.reshape(sums.shape[:len(keep)] + (-1,)))  # += into the output, in iteration order
    target = np.lib.stride_tricks.as_strided(out, [chain[i][0] for i in keep], [chain[i][2] * item for i in keep])
    target[...] = sums
    return out if keepdim else out.reshape(_squeezed(shape, axes))


def _squeezed(shape: tuple, axes: tuple) -> tuple:
    return tuple(s for i, s in enumerate(shape) if i not in axes)
