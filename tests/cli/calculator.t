Golden cases for the one-liner calculator, `gradcli EXPR NAME=VALUE...` (SPEC §1).
Expected values were checked by hand: by the calculus written beside each case
and against PyTorch in float64 (`torch.tensor(v, dtype=torch.float64,
requires_grad=True)`, same expression, `.backward()`); messages against SPEC §1/§4.

The README's polynomial: f(2) = 9*16 + 2*8 + 3*4 + 12 + 1 = 185, f'(2) = 36*8 + 6*4 + 6*2 + 6 = 330.
`gradcli EXPR` is short for `gradcli eval EXPR`.

  $ gradcli '9*x^4 + 2*x^3 + 3*x^2 + 6*x + 1' x=2
  f = 185
  df/dx = 330
  $ gradcli eval '9*x**4 + 2*x**3 + 3*x**2 + 6*x + 1' x=2
  f = 185
  df/dx = 330

Partial derivatives of x^2 + z^3 at (1, 2): 2x = 2, 3z^2 = 12; --wrt picks some.

  $ gradcli 'x^2 + z^3' x=1 z=2
  f = 9
  df/dx = 2
  df/dz = 12
  $ gradcli 'x^2 + z^3' x=1 z=2 --wrt z
  f = 9
  df/dz = 12
  $ gradcli 'x*y' x=1 y=2 --wrt x,y
  f = 2
  df/dx = 2
  df/dy = 1
  $ gradcli 'x^2' x=2 --wrt y
  error: --wrt names 'y', which is not a variable of the expression
    = help: variables: x
  [2]

Values are expressions: x=pi/4 (sin(pi/4)*3 and cos(pi/4)*3 in float64, as torch prints
them with .item()), constants, ln as the natural log (ln(e) = 1, 1/e).

  $ gradcli 'sin(x)*y' x=pi/4 y=3
  f = 2.1213203435596424
  df/dx = 2.121320343559643
  df/dy = 0.7071067811865475
  $ gradcli 'sin(x)*y' x=pi/4 y=3 --wrt x
  f = 2.1213203435596424
  df/dx = 2.121320343559643
  $ gradcli 'ln(x)' x=e
  f = 1
  df/dx = 0.36787944117144233
  $ gradcli 'ln(x)' x=2
  f = 0.6931471805599453
  df/dx = 0.5
  $ gradcli 'pi * x' x=1
  f = 3.141592653589793
  df/dx = 3.141592653589793
  $ gradcli 'e^x' x=1
  f = 2.718281828459045
  df/dx = 2.718281828459045
  $ gradcli 'cos(pi*x)' x=1/3
  f = 0.5000000000000001
  df/dx = -2.7206990463513265

Scalars print in shortest round-trip form; `-2^2` is -4 (power binds tighter than
unary minus); an expression may start with `-` (or go after `--`).

  $ gradcli 'x*1e-7' x=-1.5
  f = -1.5e-07
  df/dx = 1e-07
  $ gradcli '0.1 + x' x=0.2
  f = 0.30000000000000004
  df/dx = 1
  $ gradcli 'x^2' x=-0.5
  f = 0.25
  df/dx = -1
  $ gradcli -- '-2^2 + x' x=0
  f = -4
  df/dx = 1
  $ gradcli '-x^2' x=3
  f = -9
  df/dx = -6
  $ gradcli eval '-x^2' x=3 --json
  {"expression": "-x^2", "value": -9.0, "gradients": {"x": -6.0}, "dtype": "float64", "shapes": {"value": [], "x": []}}
  $ gradcli '--x' x=3
  f = 3
  df/dx = 1

--dtype float32: 1/3 rounded to float32 is 0.3333333432674408, whose shortest
float32 form is 0.33333334.

  $ gradcli 'x/3' x=1 --dtype float32
  f = 0.33333334
  df/dx = 0.33333334
  $ gradcli 'x/3' x=1
  f = 0.3333333333333333
  df/dx = 0.3333333333333333
  $ gradcli '9*x^4 + 2*x^3 + 3*x^2 + 6*x + 1' x=2 --dtype float32
  f = 185
  df/dx = 330
  $ gradcli 'x^2' x='[1, 2]' --jacobian --dtype float32
  f = tensor([1., 4.])
  J[x] =
  tensor([[2., 0.],
          [0., 4.]])
  $ gradcli 'x^2' x=2 --dtype float16
  error: --dtype must be float64 or float32, not 'float16'
  [2]

Tensor values: v='[1, 2, 3]'; d(sum v^2)/dv = 2v, d(mean v)/dv = 1/n.

  $ gradcli 'sum(v^2)' v='[1, 2, 3]'
  f = 14
  df/dv = tensor([2., 4., 6.], dtype=torch.float64)
  $ gradcli 'mean(v)' v='[1, 2, 3, 4]'
  f = 2.5
  df/dv = tensor([0.2500, 0.2500, 0.2500, 0.2500], dtype=torch.float64)

Random values: w='randn(2, 3)' differs from run to run, but d sum(w @ v)/dw has
every row equal to v; and for sum(w*w) the gradient is 2w, so sum((g/2)^2) = f.

  $ gradcli 'sum(w @ v)' w='randn(2, 3)' v='[1, 2, 3]' --wrt w
  f = -?\d+\.\d+(e-\d+)? (re)
  df/dw =
  tensor([[1., 2., 3.],
          [1., 2., 3.]], dtype=torch.float64)
  $ gradcli 'sum(w * w)' w='randn(5, 3)' --wrt w --json | python -c '
  > import json, sys
  > d = json.load(sys.stdin)
  > g = d["gradients"]["w"]
  > print(d["shapes"], d["dtype"], abs(sum((x / 2) ** 2 for row in g for x in row) - d["value"]) < 1e-9)'
  {'value': [], 'w': [5, 3]} float64 True

Non-scalar output: --jacobian (d v_i^2 / d v_j = 2 v_i on the diagonal), or
--vjp v^T J (the tutorial's vector: [0.2, 4, 0.0006]); without either, exit 2
and a hint naming the flags.

  $ gradcli 'v^2' v='[1, 2, 3]' --jacobian
  f = tensor([1., 4., 9.], dtype=torch.float64)
  J[v] =
  tensor([[2., 0., 0.],
          [0., 4., 0.],
          [0., 0., 6.]], dtype=torch.float64)
  $ gradcli 'v^2' v='[1, 2, 3]' --vjp '[0.1, 1, 0.0001]'
  f = tensor([1., 4., 9.], dtype=torch.float64)
  df/dv = tensor([2.0000e-01, 4.0000e+00, 6.0000e-04], dtype=torch.float64)
  $ gradcli 'v^2' v='[1, 2, 3]'
  error: the expression's value has shape [3], so it has no single gradient
    = help: pass --jacobian for the full Jacobian, --vjp '[...]' for a vector-Jacobian product, or reduce it (.sum())
  [2]
  $ gradcli 'v^2' v='[1, 2, 3]' --vjp '[1, 2]'
  error: gradient has shape [2] but the output has shape [3]
    --> <expr>:1:1
    |
  1 | v^2
    | ^^^
    = help: pass a gradient with the output's shape
  [1]

--hessian: d2(x^3)/dx2 = 6x = 12; for x^2*y: 2y = 6, 2x = 4 (both orders), 0.
For a vector, the Hessian of sum(v^2) is 2I.

  $ gradcli 'x^3' x=2 --hessian
  f = 8
  df/dx = 12
  d2f/dx2 = 12
  $ gradcli 'x^2*y' x=2 y=3 --hessian
  f = 12
  df/dx = 12
  df/dy = 4
  d2f/dx2 = 6
  d2f/dxdy = 4
  d2f/dydx = 4
  d2f/dy2 = 0
  $ gradcli 'sum(v^2)' v='[1., 2.]' --hessian
  f = 5
  df/dv = tensor([2., 4.], dtype=torch.float64)
  d2f/dv2 =
  tensor([[2., 0.],
          [0., 2.]], dtype=torch.float64)

--json: one object with expression, value, gradients, dtype, shapes (SPEC §1),
plus jacobian/hessian when asked.

  $ gradcli 'sum(v^2)' v='[1, 2, 3]' --json
  {"expression": "sum(v^2)", "value": 14.0, "gradients": {"v": [2.0, 4.0, 6.0]}, "dtype": "float64", "shapes": {"value": [], "v": [3]}}
  $ gradcli 'x^2' x=2 --dtype float32 --json
  {"expression": "x^2", "value": 4.0, "gradients": {"x": 4.0}, "dtype": "float32", "shapes": {"value": [], "x": []}}
  $ gradcli 'v^2' v='[1, 2, 3]' --jacobian --json
  {"expression": "v^2", "value": [1.0, 4.0, 9.0], "gradients": {}, "dtype": "float64", "shapes": {"value": [3], "v": [3]}, "jacobian": {"v": [[2.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 6.0]]}}
  $ gradcli 'x^2*y' x=2 y=3 --hessian --json
  {"expression": "x^2*y", "value": 12.0, "gradients": {"x": 12.0, "y": 4.0}, "dtype": "float64", "shapes": {"value": [], "x": [], "y": []}, "hessian": {"x,x": 6.0, "x,y": 4.0, "y,x": 4.0, "y,y": 0.0}}

--plain changes nothing when the output is not a terminal.

  $ gradcli 'x^2' x=2 --plain
  f = 4
  df/dx = 4

A missing value is an error naming the variable (exit 2); an unused NAME=VALUE is
a warning, and the result still prints; a name given twice is an error.

  $ gradcli 'x^2 + y' x=1
  error: no value for variable 'y'
    = help: pass y=VALUE, e.g. y=2
  [2]
  $ gradcli 'x^2'
  error: no value for variable 'x'
    = help: pass x=VALUE, e.g. x=2
  [2]
  $ gradcli 'x^2' x=1 y=2
  warning: y is not used by the expression
    = help: remove y=..., or check the spelling
  f = 1
  df/dx = 2
  $ gradcli 'x^2' x=2 x=3
  error: 'x' is given twice
    = help: pass each NAME=VALUE once
  [2]

Syntax errors: exit 2, with the column and a caret, in the expression or in a value.

  $ gradcli 'x^2 +* 3' x=1
  error: expected an expression after '+'
    --> <expr>:1:6
    |
  1 | x^2 +* 3
    |      ^
    = help: found '*'
  [2]
  $ gradcli '(x + 1' x=1
  error: unclosed '(' opened at line 1, column 1
    --> <expr>:1:1
    |
  1 | (x + 1
    | ^
    = help: close it with ')'
  [2]
  $ gradcli 'x $ 2' x=1
  error: invalid character '$' (U+0024 DOLLAR SIGN)
    --> <expr>:1:3
    |
  1 | x $ 2
    |   ^
    = help: names use letters, digits and '_'
  [2]

Runtime errors: exit 1, with a caret under the failing operation. A shape
mismatch names both shapes.

  $ gradcli 'x*y' x='[1,2]' y='[1,2,3]'
  error: shapes [2] and [3] cannot be broadcast together: size 2 does not match size 3 at dimension 0
    --> <expr>:1:1
    |
  1 | x*y
    | ^^^
    = help: make the sizes equal or 1 in that dimension (reshape, unsqueeze)
  [1]
  $ gradcli 'x @ y' x='[1,2]' y='[1,2,3]'
  error: matmul of two vectors needs the same length, got 2 and 3 elements
    --> <expr>:1:1
    |
  1 | x @ y
    | ^^^^^
    = help: both vectors must have the same number of elements
  [1]

Non-finite results are values, not errors (as in PyTorch: log(-1) is nan and its
derivative 1/x = -1; sqrt'(0) is inf), with a warning that says where.

  $ gradcli 'log(x)' x=-1
  warning: Log produced NaN
    --> <expr>:1:1
    |
  1 | log(x)
    | ^^^^^^
    = help: check the inputs of this operation (log of 0 or a negative, division by 0, overflow)
  f = nan
  df/dx = -1
  $ gradcli 'sqrt(x)' x=0
  warning: the backward of SqrtBackward0 produced infinity in a gradient
    --> <expr>:1:1
    |
  1 | sqrt(x)
    | ^^^^^^^
    = help: a derivative is undefined here (sqrt or log at 0, division by 0)
  f = 0
  df/dx = inf

Limits: --max-elements refuses a tensor that is too big before allocating it (the
default cap is 2**27); --timeout stops a runaway script.

  $ gradcli 'sum(zeros(10**9))'
  error: a tensor of shape [1000000000] would have 1,000,000,000 elements, more than the limit of 134,217,728
    --> <expr>:1:5
    |
  1 | sum(zeros(10**9))
    |     ^^^^^^^^^^^^
    = help: use smaller shapes, or raise the cap with --max-elements
  [1]
  $ gradcli 'sum(x*ones(100))' x=1 --max-elements 10
  error: a tensor of shape [100] would have 100 elements, more than the limit of 10
    --> <expr>:1:7
    |
  1 | sum(x*ones(100))
    |       ^^^^^^^^^
    = help: use smaller shapes, or raise the cap with --max-elements
  [1]
  $ gradcli 'sum(x*ones(100))' x=1 --max-elements 100
  f = 100
  df/dx = 100
  $ printf 'k = 0\nwhile True:\n    k = k + 1\n' > forever.grad
  $ timeout 60 gradcli run --timeout 0.5 forever.grad
  error: stopped after the --timeout of 0.5 s
    = help: raise --timeout, or check for a loop that never ends
  [1]

The one-liners in examples/calculator.sh, each shown before its output:

  $ bash $TESTDIR/../../examples/calculator.sh
  
  # gradcli '9*x^4 + 2*x^3 + 3*x^2 + 6*x + 1' 'x=2'
  f = 185
  df/dx = 330
  
  # gradcli 'x^2 + z^3' 'x=1' 'z=2'
  f = 9
  df/dx = 2
  df/dz = 12
  
  # gradcli 'sin(x)*y' 'x=pi/4' 'y=3' '--wrt' 'x'
  f = 2.1213203435596424
  df/dx = 2.121320343559643
  
  # gradcli 'ln(x)' 'x=e'
  f = 1
  df/dx = 0.36787944117144233
  
  # gradcli 'cos(pi*x)' 'x=1/3'
  f = 0.5000000000000001
  df/dx = -2.7206990463513265
  
  # gradcli 'x/3' 'x=1' '--dtype' 'float32'
  f = 0.33333334
  df/dx = 0.33333334
  
  # gradcli 'sum(v^2)' 'v=[1, 2, 3]'
  f = 14
  df/dv = tensor([2., 4., 6.], dtype=torch.float64)
  
  # gradcli 'mean(v)' 'v=[1, 2, 3, 4]'
  f = 2.5
  df/dv = tensor([0.2500, 0.2500, 0.2500, 0.2500], dtype=torch.float64)
  
  # gradcli 'v^2' 'v=[1, 2, 3]' '--jacobian'
  f = tensor([1., 4., 9.], dtype=torch.float64)
  J[v] =
  tensor([[2., 0., 0.],
          [0., 4., 0.],
          [0., 0., 6.]], dtype=torch.float64)
  
  # gradcli 'v^2' 'v=[1, 2, 3]' '--vjp' '[0.1, 1, 0.0001]'
  f = tensor([1., 4., 9.], dtype=torch.float64)
  df/dv = tensor([2.0000e-01, 4.0000e+00, 6.0000e-04], dtype=torch.float64)
  
  # gradcli 'x^2*y' 'x=2' 'y=3' '--hessian'
  f = 12
  df/dx = 12
  df/dy = 4
  d2f/dx2 = 6
  d2f/dxdy = 4
  d2f/dydx = 4
  d2f/dy2 = 0
  
  # gradcli 'sum(v^2)' 'v=[1, 2, 3]' '--json'
  {"expression": "sum(v^2)", "value": 14.0, "gradients": {"v": [2.0, 4.0, 6.0]}, "dtype": "float64", "shapes": {"value": [], "v": [3]}}
  
  # gradcli '--' '-2^2 + x' 'x=0'
  f = -4
  df/dx = 1
  $ gradcli '9*x^4 + 2*x^3 + 3*x^2 + 6*x + 1' 'x=2'
  f = 185
  df/dx = 330
