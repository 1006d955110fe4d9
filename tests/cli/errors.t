One case per kind of error a script can hit (SPEC §2, §4, §5). Each message is
gradcli's own wording of what PyTorch/Python report (quoted beside each case,
from TORCH_REFERENCE.md part C and Python 3), with a caret and usually a hint.
Exit codes: 2 for errors found before running (syntax, refused names), 1 for
errors while running.

  $ run() { printf "$1" > case.grad; gradcli run case.grad; }

Syntax (Python: SyntaxError '(' was never closed):

  $ run 'import torch\nx = torch.ones(2,\n'
  error: unclosed '(' opened at line 2, column 15
    --> case.grad:2:15
    |
  2 | x = torch.ones(2,
    |               ^
    = help: close it with ')'
  [2]

Unknown name, with a suggestion (Python: NameError name 'valeu' is not defined.
Did you mean: 'value'?):

  $ run 'value = 3\nprint(valeu)\n'
  error: name 'valeu' is not defined
    --> case.grad:2:7
    |
  2 | print(valeu)
    |       ^^^^^
    = help: did you mean 'value'?
  [1]

Unknown attribute (Python: AttributeError 'Tensor' object has no attribute 'gradd'):

  $ run 'import torch\nx = torch.ones(3)\nx.gradd\n'
  error: a tensor has no attribute 'gradd'
    --> case.grad:3:1
    |
  3 | x.gradd
    | ^^^^^^^
    = help: did you mean 'grad'?
  [1]
  $ run 'import torch\ntorch.foo(1)\n'
  error: 'torch' has no 'foo'
    --> case.grad:2:1
    |
  2 | torch.foo(1)
    | ^^^^^^^^^
  [1]

Wrong type (Python: TypeError unsupported operand type(s) for +: 'Tensor' and 'str'):

  $ run 'import torch\ntorch.ones(3) + "a"\n'
  error: expected a tensor or a number as argument, got str
    --> case.grad:2:1
    |
  2 | torch.ones(3) + "a"
    | ^^^^^^^^^^^^^^^^^^^
  [1]
  $ run 'import torch\nF.relu(1)\n'
  error: relu() needs a tensor as input, not int
    --> case.grad:2:1
    |
  2 | F.relu(1)
    | ^^^^^^^^^
    = help: wrap numbers in torch.tensor(...)
  [1]

Shape mismatch, naming both shapes (torch: The size of tensor a (3) must match the
size of tensor b (4) at non-singleton dimension 1; mat1 and mat2 shapes cannot be
multiplied (2x3 and 4x5)):

  $ run 'import torch\ntorch.ones(2, 3) + torch.ones(2, 4)\n'
  error: shapes [2, 3] and [2, 4] cannot be broadcast together: size 3 does not match size 4 at dimension 1
    --> case.grad:2:1
    |
  2 | torch.ones(2, 3) + torch.ones(2, 4)
    | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
    = help: make the sizes equal or 1 in that dimension (reshape, unsqueeze)
  [1]
  $ run 'import torch\ntorch.ones(2, 3) @ torch.ones(4, 5)\n'
  error: cannot multiply a 2x3 matrix by a 4x5 matrix: 3 columns against 4 rows
    --> case.grad:2:1
    |
  2 | torch.ones(2, 3) @ torch.ones(4, 5)
    | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
    = help: the first's columns must equal the second's rows; transpose one (.T) or fix the shapes
  [1]

backward() of a non-scalar without a gradient (torch: grad can be implicitly
created only for scalar outputs), with the hint:

  $ run 'import torch\nx = torch.ones(3, requires_grad=True)\ny = x * 2\ny.backward()\n'
  error: backward() without a gradient needs a single-element output, but this one has shape [3]
    --> case.grad:4:1
    |
  4 | y.backward()
    | ^^^^^^^^^^^^
    = help: reduce it first (.sum() or .mean()) or pass gradient= with the output's shape
  [1]

A second backward through a freed graph (torch: Trying to backward through the
graph a second time ... Specify retain_graph=True), with the hint:

  $ run 'import torch\nx = torch.ones(3, requires_grad=True)\ny = (x * x).sum()\ny.backward()\ny.backward()\n'
  error: cannot backpropagate through this graph again: the values saved for MulBackward0 were freed by an earlier backward
    --> case.grad:5:1
    |
  5 | y.backward()
    | ^^^^^^^^^^^^
    = help: pass retain_graph=True to the first backward() (or autograd.grad()) call
  [1]

In-place on a leaf that requires grad (torch: a leaf Variable that requires grad
is being used in an in-place operation; a view of a leaf Variable ...):

  $ run 'import torch\nx = torch.ones(3, requires_grad=True)\nx += 1\n'
  error: a leaf tensor that requires grad cannot be modified in place
    --> case.grad:3:1
    |
  3 | x += 1
    | ^^^^^^
    = help: do the update inside `with torch.no_grad():`, or use x = x + ...
  [1]
  $ run 'import torch\nx = torch.ones(3, requires_grad=True)\nx[0] = 5.\n'
  error: a view of a leaf tensor that requires grad cannot be modified in place (x[...] = ... writes into such a view)
    --> case.grad:3:1
    |
  3 | x[0] = 5.
    | ^^^^
    = help: do the update inside `with torch.no_grad():`, or clone() first
  [1]

Index out of range (torch: IndexError index 5 is out of bounds for dimension 0
with size 3):

  $ run 'import torch\nx = torch.ones(3)\nx[5]\n'
  error: index 5 is out of range for dimension 0 of size 3
    --> case.grad:3:1
    |
  3 | x[5]
    | ^^^^
    = help: valid indices are -3 to 2
  [1]

requires_grad on an integer tensor (torch: Only Tensors of floating point and
complex dtype can require gradients):

  $ run 'import torch\nx = torch.tensor([1, 2, 3], requires_grad=True)\n'
  error: only floating-point tensors can require gradients, not torch.int64
    --> case.grad:2:5
    |
  2 | x = torch.tensor([1, 2, 3], requires_grad=True)
    |     ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
    = help: create it with a float value (2.) or dtype=torch.float32
  [1]
  $ run 'import torch\nx = torch.tensor([1, 2, 3])\nx.requires_grad_()\n'
  error: only floating-point tensors can require gradients, not torch.int64
    --> case.grad:3:1
    |
  3 | x.requires_grad_()
    | ^^^^^^^^^^^^^^^^^^
    = help: create it with a float value (2.) or dtype=torch.float32
  [1]

Dunder attributes and names cannot reach Python (SPEC §5); refused before running:

  $ run 'import torch\nprint("before")\nx = torch.ones(3)\nx.__class__\n'
  error: '__class__' is not available in gradcli
    --> case.grad:4:1
    |
  4 | x.__class__
    | ^^^^^^^^^^^
    = help: names with double underscores are not part of the language
  [2]
  $ run '__import__("os")\n'
  error: '__import__' is not available in gradcli
    --> case.grad:1:1
    |
  1 | __import__("os")
    | ^^^^^^^^^^
    = help: names with double underscores are not part of the language
  [2]

Imports other than torch's are refused (SPEC §2, §5), and so are eval and open:

  $ run 'import os\n'
  error: cannot import 'os': gradcli provides only torch's names
    --> case.grad:1:8
    |
  1 | import os
    |        ^^
    = help: use `import torch`, `import torch.nn.functional as F` or `from torch import nn`
  [2]
  $ run 'from os import path\n'
  error: cannot import from 'os': gradcli provides only torch's names
    --> case.grad:1:1
    |
  1 | from os import path
    | ^^^^^^^^^^^^^^^^^^^
    = help: use `from torch import nn`
  [2]
  $ run 'eval("1")\n'
  error: name 'eval' is not defined
    --> case.grad:1:1
    |
  1 | eval("1")
    | ^^^^
    = help: assign it first, or pass NAME=VALUE on the command line
  [1]
  $ run 'open("/etc/passwd")\n'
  error: name 'open' is not defined
    --> case.grad:1:1
    |
  1 | open("/etc/passwd")
    | ^^^^
    = help: assign it first, or pass NAME=VALUE on the command line
  [1]

More autograd errors PyTorch raises (each quoted from torch 2.13):

element 0 of tensors does not require grad and does not have a grad_fn:

  $ run 'import torch\nx = torch.ones(3)\nx.sum().backward()\n'
  error: this tensor does not require grad and has no grad_fn, so there is nothing to differentiate
    --> case.grad:3:1
    |
  3 | x.sum().backward()
    | ^^^^^^^^^^^^^^^^^^
    = help: create the inputs with requires_grad=True (and not inside no_grad)
  [1]

Mismatch in shape: grad_output[0] has a shape of torch.Size([2]) and output[0]
has a shape of torch.Size([3]):

  $ run 'import torch\nx = torch.ones(3, requires_grad=True)\n(x * 2).backward(torch.ones(2))\n'
  error: gradient has shape [2] but the output has shape [3]
    --> case.grad:3:1
    |
  3 | (x * 2).backward(torch.ones(2))
    | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
    = help: pass a gradient with the output's shape
  [1]

one of the variables needed for gradient computation has been modified by an
inplace operation: [torch.FloatTensor [2]] ... is at version 1; expected version 0:

  $ run 'import torch\nx = torch.ones(2, requires_grad=True)\ny = x * 2\nz = y * y\ny += 1\nz.sum().backward()\n'
  error: a value needed to compute gradients was modified in place: a float32 tensor of shape [2] used by MulBackward0 is at version 1, expected version 0
    --> case.grad:6:1
    |
  6 | z.sum().backward()
    | ^^^^^^^^^^^^^^^^^^
    = help: use an out-of-place op (y = y + 1 instead of y += 1), or .clone() first
  [1]

you can only change requires_grad flags of leaf variables:

  $ run 'import torch\nx = torch.ones(3, requires_grad=True)\ny = x * 2\ny.requires_grad_(False)\n'
  error: requires_grad can only be changed on leaf tensors
    --> case.grad:4:1
    |
  4 | y.requires_grad_(False)
    | ^^^^^^^^^^^^^^^^^^^^^^^
    = help: to stop gradients here use y = y.detach()
  [1]

a Tensor with 4 elements cannot be converted to Scalar:

  $ run 'import torch\nx = torch.ones(2, 2)\nx.item()\n'
  error: item() needs a tensor with one element; this one has 4
    --> case.grad:3:1
    |
  3 | x.item()
    | ^^^^^^^^
    = help: index an element first (t[0].item()) or reduce it (.sum())
  [1]

view size is not compatible with input tensor's size and stride ... Use .reshape(...) instead:

  $ run 'import torch\ny = torch.ones(2, 3).t()\ny.view(6)\n'
  error: view([6]) is not possible on this tensor of shape [3, 2]: its elements are not laid out in memory in a compatible order (e.g. after .t() or a strided slice)
    --> case.grad:3:1
    |
  3 | y.view(6)
    | ^^^^^^^^^
    = help: use .reshape(...) instead, which copies when it must (or .contiguous() first)
  [1]

The differentiated Tensor at index 1 appears to not have been used in the graph.
Set allow_unused=True ...:

  $ run 'import torch\nx = torch.tensor(2.0, requires_grad=True)\nu = torch.tensor(1.0, requires_grad=True)\ntorch.autograd.grad(x * 2, [x, u])\n'
  error: input 1 of autograd.grad() was not used to compute the outputs
    --> case.grad:4:1
    |
  4 | torch.autograd.grad(x * 2, [x, u])
    | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
    = help: pass allow_unused=True to get None for it
  [1]

An op without a derivative, reached by backward (RuntimeError: derivative for aten::floor_divide is not
implemented), in a script and in the calculator, which points at the whole expression:

  $ run 'import torch\nx = torch.tensor(3., requires_grad=True)\ny = x // 2\ny.backward()\n'
  error: floor_divide (//) has no derivative (PyTorch does not implement one), so gradients cannot flow back through it
    --> case.grad:4:1
    |
  4 | y.backward()
    | ^^^^^^^^^^^^
    = help: detach what goes into it (x.detach() // 2), or use torch.div(x, 2, rounding_mode='floor'), whose gradient is zero
  [1]
  $ gradcli 'x // 2' x=3
  error: floor_divide (//) has no derivative (PyTorch does not implement one), so gradients cannot flow back through it
    --> <expr>:1:1
    |
  1 | x // 2
    | ^^^^^^
    = help: detach what goes into it (x.detach() // 2), or use torch.div(x, 2, rounding_mode='floor'), whose gradient is zero
  [1]

Plain Python errors keep Python's meaning (ZeroDivisionError: division by zero;
IndexError: list index out of range):

  $ run '1/0\n'
  error: division by zero
    --> case.grad:1:1
    |
  1 | 1/0
    | ^^^
    = help: use a tensor (tensor(1.) / 0 is inf) or check the divisor
  [1]
  $ run 'x = [1, 2]\nx[5]\n'
  error: list index out of range
    --> case.grad:2:1
    |
  2 | x[5]
    | ^^^^
  [1]

Unsupported Python statements are refused clearly:

  $ run 'class A:\n    pass\n'
  error: 'class' is not supported in gradcli
    --> case.grad:1:1
    |
  1 | class A:
    | ^^^^^^^^
    = help: gradcli runs a Python-like subset: see `gradcli --help`
  [2]

An error inside a function also says where the function was called from:

  $ printf 'def f(x):\n    return x + ones(4)\ndef g(y):\n    return f(y) * 2\n\ng(ones(3))\n' > calls.grad
  $ gradcli run calls.grad
  error: shapes [3] and [4] cannot be broadcast together: size 3 does not match size 4 at dimension 0
    --> calls.grad:2:12
    |
  2 |     return x + ones(4)
    |            ^^^^^^^^^^^
    = help: make the sizes equal or 1 in that dimension (reshape, unsqueeze)
    = note: in f() called at calls.grad:4:12
    = note: in g() called at calls.grad:6:1
  [1]
