"""`Tensor`: a NumPy array plus what autograd needs to know about it.

Arithmetic, math and shape methods are not written here: `engine.api` attaches
each op once to this class and to the `torch` namespace, so `a + b`,
`a.add(b)` and `torch.add(a, b)` run the same code. What lives here is state:
leaf rules, `.grad` access, aliasing (`detach`, `.data`), the version counter
that catches in-place modification of saved values, and in-place writes.
"""

from __future__ import annotations

import warnings
import weakref

import numpy as np

from gradcli.engine import dtypes
from gradcli.engine.grad_mode import state
from gradcli.errors import (ArgumentError, AutogradError, DTypeError, GradcliWarning, ShapeError,
                            ValueTypeError)


class Size(tuple):
    """A shape; prints like PyTorch's `torch.Size([5, 3])`."""

    __slots__ = ()

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __repr__(self) -> str:
        return f"torch.Size({list(self)})"

    __str__ = __repr__


def require_tensor(x, who: str, what: str | None = None) -> "Tensor":
    """An op's tensor argument, or a type error naming the op (and which argument)."""
    if isinstance(x, Tensor):
        return x
    place = f" as {what}" if what else ""
    raise ValueTypeError(f"{who}() needs a tensor{place}, not {type(x).__name__}",
                         hint="wrap numbers in torch.tensor(...)")


class Tensor:
    # Slots for what every op reads and sets. The rest is rare (a leaf's gradient and AccumulateGrad, a
    # name, a view's base, retain_grad): class defaults here, overridden in the instance dict, so that
    # making a tensor, done once per op, sets four attributes.
    __slots__ = ("array", "requires_grad", "grad_fn", "_version", "__dict__", "__weakref__")
    _grad = None
    _name = None
    _accumulator = None
    _retains_grad = False
    _base = None
    __array_ufunc__ = None  # make NumPy defer `ndarray * Tensor` to Tensor.__rmul__
    __hash__ = object.__hash__

    def __init__(self, array: np.ndarray, requires_grad: bool = False, grad_fn=None,
                 version: list | None = None, base: "Tensor | None" = None):
        self.array = array
        self.requires_grad = requires_grad
        self.grad_fn = grad_fn
        # [write count, weakrefs to the float views of the storage], shared by every alias of the storage
        self._version = [0] if version is None else version
        if base is not None:
            self._base = base

    # -- metadata ----------------------------------------------------------------------
    @property
    def dtype(self) -> dtypes.DType:
        return dtypes.from_numpy(self.array.dtype)

    @property
    def shape(self) -> Size:
        return Size(self.array.shape)

    def size(self, dim: int | None = None):
        if dim is None:
            return Size(self.array.shape)
        return self.array.shape[self._dim(dim)]

    def dim(self) -> int:
        return self.array.ndim

    ndim = property(dim)

    def numel(self) -> int:
        return int(self.array.size)

    def is_floating_point(self) -> bool:
        return self.array.dtype.kind == "f"

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    @property
    def device(self) -> str:
        return "cpu"

    @property
    def _version_number(self) -> int:
        return self._version[0]

    def _dim(self, dim: int) -> int:
        """Normalise a possibly negative dimension, with PyTorch's range check."""
        n = max(self.array.ndim, 1)
        if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
            raise ValueTypeError(f"dim must be an integer, not {type(dim).__name__}")
        if not -n <= dim < n:
            raise ArgumentError(f"dimension {dim} is out of range for a tensor with {self.array.ndim} "
                                f"dimension(s)", hint=f"use a dim between {-n} and {n - 1}")
        return dim % n

    # -- autograd state ----------------------------------------------------------------
    @property
    def grad(self):
        if self.grad_fn is not None and not self._retains_grad:
            warnings.warn("the .grad of a non-leaf tensor is not filled in by backward(), so it is None; "
                          "call .retain_grad() on it before backward() to keep it", GradcliWarning, stacklevel=2)
            return None
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise ValueTypeError(f"a tensor's .grad must be a tensor or None, not {type(value).__name__}")
            if value.array.shape != self.array.shape:
                raise ShapeError(f"assigned grad has shape {list(value.shape)} but the tensor has shape "
                                 f"{list(self.shape)}")
        self._grad = value

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        if self.grad_fn is not None:
            if requires_grad:
                return self
            raise AutogradError("requires_grad can only be changed on leaf tensors",
                                hint="to stop gradients here use y = y.detach()")
        if requires_grad and self.array.dtype.kind != "f":
            raise DTypeError(f"only floating-point tensors can require gradients, not {self.dtype}",
                             hint="create it with a float value (2.) or dtype=torch.float32")
        self.requires_grad = bool(requires_grad)
        return self

    @property
    def name(self) -> str | None:
        """The variable this tensor was bound to, for diagrams."""
        return self._name

    @name.setter
    def name(self, name: str | None) -> None:
        # the grad_fn points back to a named tensor (weakly), so a diagram shows a named intermediate's
        # value and grad without every op paying for a back-reference
        self._name = name
        if self.grad_fn is not None:
            self.grad_fn.output = weakref.ref(self)

    def retain_grad(self) -> None:
        if self.grad_fn is None:
            if not self.requires_grad:
                raise AutogradError("retain_grad() needs a tensor that requires grad")
            return
        self._retains_grad = True
        self.grad_fn.retained = weakref.ref(self)

    def take_over(self, node) -> None:
        """Make `node`, which recorded a write into this tensor, its grad_fn. A retain_grad() moves to it,
        as in PyTorch: .grad is the gradient of the tensor as it is now."""
        old = self.grad_fn
        self.grad_fn = node
        node.output = weakref.ref(self)
        self.requires_grad = True
        if self._retains_grad:
            if old is not None:
                old.retained = None
            node.retained = weakref.ref(self)

    def detach(self) -> "Tensor":
        return Tensor(self.array, version=self._version)

    @property
    def data(self) -> "Tensor":
        """An alias of the values outside autograd. Unlike detach(), with a version counter of its own, as
        in PyTorch: writes through it are not seen by the checks of saved values."""
        return Tensor(self.array)

    @data.setter
    def data(self, value: "Tensor") -> None:
        """`x.data = y`: x now shows y's values (and shape and dtype) but keeps its own version counter,
        shared with x's views, as in PyTorch; y's counter does not count x's writes, nor x's y's."""
        if not isinstance(value, Tensor):
            raise ValueTypeError(f"x.data must be assigned a tensor, not {type(value).__name__}")
        if self.requires_grad and value.array.dtype.kind != "f":
            raise DTypeError(f"a tensor that requires grad cannot take the data of a {value.dtype} tensor",
                             hint="assign a floating-point tensor, or convert it first: y.float()")
        self.array = value.array

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None) -> None:
        from gradcli.engine import autograd
        autograd.backward(self, gradient, retain_graph, create_graph, inputs)

    # -- values out ---------------------------------------------------------------------
    def item(self):
        if self.array.size != 1:
            raise ArgumentError(f"item() needs a tensor with one element; this one has {self.array.size}",
                                hint="index an element first (t[0].item()) or reduce it (.sum())")
        return self.array.reshape(()).item()

    def tolist(self):
        return self.array.tolist()

    def numpy(self) -> np.ndarray:
        if self.requires_grad:
            raise AutogradError("numpy() of a tensor that requires grad", hint="call .detach().numpy()")
        return self.array

    def __len__(self) -> int:
        if self.array.ndim == 0:
            raise ValueTypeError("len() of a 0-d tensor")
        return self.array.shape[0]

    def __bool__(self) -> bool:
        if self.array.size != 1:
            raise ArgumentError(f"the truth value of a tensor with {self.array.size} elements is ambiguous",
                                hint="use .any() or .all()")
        return bool(self.array.reshape(()))

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.array.dtype.kind not in "iub" or self.array.size != 1:
            raise ValueTypeError("only integer tensors of a single element can be used as an index")
        return int(self.item())

    def __iter__(self):
        if self.array.ndim == 0:
            raise ValueTypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.array.shape[0]))

    def __repr__(self) -> str:  # the language prints through gradcli.show; this is for debugging
        return f"Tensor(shape={list(self.array.shape)}, dtype={self.dtype})"

    # -- in-place writes ----------------------------------------------------------------
    def check_inplace(self) -> None:
        """PyTorch's rule: a leaf (or a view of a leaf) that requires grad can't be changed in place
        while gradients are being recorded."""
        if not state.enabled:
            return
        if self.grad_fn is None and self.requires_grad:
            raise AutogradError("a leaf tensor that requires grad cannot be modified in place",
                                hint="do the update inside `with torch.no_grad():`, or use x = x + ...")
        base = self._base
        if base is not None and base.grad_fn is None and base.requires_grad:
            raise AutogradError("a view of a leaf tensor that requires grad cannot be modified in place",
                                hint="do the update inside `with torch.no_grad():`, or clone() first")

    def write_inplace(self, result: "Tensor") -> "Tensor":
        """Store an op's out-of-place result into this tensor's storage and take over its grad_fn.

        The op's node saved this tensor's array before the write; it keeps a clone of those values
        instead (`Function.keep_input_before_write`), and a saved result becomes this tensor, checked
        against its version counter (`Function.track_written_output`), as in PyTorch."""
        out = result.array
        if out.dtype != self.array.dtype:
            if dtypes.from_numpy(out.dtype).category > self.dtype.category:
                raise DTypeError(f"the result has type {dtypes.from_numpy(out.dtype)}, which can't be stored "
                                 f"in place in a {self.dtype} tensor", hint="use an out-of-place op")
            out = out.astype(self.array.dtype)
        if out.shape != self.array.shape:
            raise ShapeError(f"an in-place result of shape {list(out.shape)} does not fit a tensor of shape "
                             f"{list(self.shape)}", hint="use an out-of-place op (y = y + ...)")
        if not self.array.flags.writeable:
            raise AutogradError("this tensor is an expanded view whose elements share memory, so it "
                                "cannot be written in place", hint="clone() it first")
        node = result.grad_fn
        if node is not None:
            node.keep_input_before_write(self)  # the write must not change what backward reads
        self.array[...] = out
        self._version[0] += 1
        if node is not None:
            node.track_written_output(self)
        if self._base is not None and state.enabled and (result.requires_grad or self._base.requires_grad):
            from gradcli.engine.ops.shape import rebase_view
            rebase_view(self, result)  # refreshes the other views too
            return self
        if result.grad_fn is not None:
            self.take_over(result.grad_fn)
        self.refresh_views()
        return self

    def refresh_views(self) -> None:
        """After a write into this tensor's storage that recorded no view write: its views' grad_fns no
        longer describe their values; each gets a new one (ops.shape.refresh_views)."""
        if len(self._version) > 1:
            from gradcli.engine.ops.shape import refresh_views
            refresh_views(self._version)
