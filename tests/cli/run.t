Scripts: `gradcli run FILE...`, `gradcli run -` and plain `gradcli` with piped stdin
(SPEC §2, §4). A script runs as if typed at Python's interactive prompt: a bare
expression whose value is not None echoes its repr, `print` prints. The expected
outputs were checked by hand against what Python's prompt with torch 2.13 prints
(grad_fn reprs without addresses, as SPEC §2 asks).

  $ cat > cube.grad <<'EOF'
  > import torch
  > x = torch.tensor(2.0, requires_grad=True)
  > y = x**3
  > y.backward()
  > x.grad
  > EOF

The same script from a file, from stdin with `-`, and from stdin with no command:

  $ gradcli run cube.grad
  tensor(12.)
  $ gradcli run - < cube.grad
  tensor(12.)
  $ cat cube.grad | gradcli run -
  tensor(12.)
  $ gradcli < cube.grad
  tensor(12.)
  $ cat cube.grad | gradcli
  tensor(12.)
  $ gradcli < /dev/null
  $ echo 'x = tensor(2., requires_grad=True); (x**3).backward(); x.grad' | gradcli run -
  tensor(12.)

Several files run in order in one session, so later files see earlier names:

  $ echo 'a = 20' > first.grad
  $ echo 'a + 1' > second.grad
  $ gradcli run first.grad second.grad
  21

Echo semantics, as at Python's prompt: assignments, None and calls returning None
print nothing; bare expressions echo their repr (strings with quotes) at top level
and inside loops, `if` and `with` blocks, but not inside `def`; manual_seed echoes
nothing; methods that return their tensor (requires_grad_, zero_) echo it.

  $ gradcli run - <<'EOF'
  > import torch
  > torch.manual_seed(0)
  > x = 5
  > x
  > None
  > print(None)
  > "text"
  > print("text")
  > 2 / 3
  > 7 // 2, 2 ** 10, [1, 2.5]
  > for i in range(3):
  >     i * 10
  > if x > 1:
  >     "big"
  > def f(a):
  >     a + 100
  >     return a + 1
  > f(1)
  > t = torch.ones(2)
  > with torch.no_grad():
  >     t * 2
  > t.requires_grad_()
  > t.sum().backward()
  > t.grad.zero_()
  > t.shape
  > print(t, t.grad_fn)
  > print(f"{(t * 2).grad_fn}")
  > (t * 2).grad_fn
  > EOF
  5
  None
  'text'
  text
  0.6666666666666666
  (3, 1024, [1, 2.5])
  0
  10
  20
  'big'
  2
  tensor([2., 2.])
  tensor([1., 1.], requires_grad=True)
  tensor([0., 0.])
  torch.Size([2])
  tensor([1., 1.], requires_grad=True) None
  <MulBackward0>
  <MulBackward0>

The first error stops the script: what ran before it printed, nothing after it
runs; the report names file, line and column, shows the line with a caret, and
the exit code is 1.

  $ cat > stops.grad <<'EOF'
  > import torch
  > x = torch.ones(3)
  > for i in range(3):
  >     print(i)
  >     y = x[i + 1]
  > print("not reached")
  > EOF
  $ gradcli run stops.grad
  0
  1
  2
  error: index 3 is out of range for dimension 0 of size 3
    --> stops.grad:5:9
    |
  5 |     y = x[i + 1]
    |         ^^^^^^^^
    = help: valid indices are -3 to 2
  [1]
  $ printf 'x = 1\nprint(x)\nx + y\nprint("after")\n' | gradcli run -
  1
  error: name 'y' is not defined
    --> <stdin>:3:5
    |
  3 | x + y
    |     ^
    = help: assign it first, or pass NAME=VALUE on the command line
  [1]

An error inside a function points at the line in the function, and notes the call:

  $ printf 'import torch\ndef f(t):\n    return t[5]\n\nf(torch.ones(3))\n' > fn.grad
  $ gradcli run fn.grad
  error: index 5 is out of range for dimension 0 of size 3
    --> fn.grad:3:12
    |
  3 |     return t[5]
    |            ^^^^
    = help: valid indices are -3 to 2
    = note: in f() called at fn.grad:5:1
  [1]

A syntax error anywhere is found before anything runs (as `python file.py`
does), and exits 2:

  $ printf 'print("first")\ny = (1 +\nprint("never")\n' > syntax.grad
  $ gradcli run syntax.grad
  error: unclosed '(' opened at line 2, column 5
    --> syntax.grad:2:5
    |
  2 | y = (1 +
    |     ^
    = help: close it with ')'
  [2]
  $ printf 'x = 1\ny = x +\nz = 3\n' | gradcli run -
  error: expected an expression after '+'
    --> <stdin>:2:8
    |
  2 | y = x +
    |        ^
  [2]
  $ printf 'if True:\nx = 1\n' | gradcli run -
  error: expected an indented block after 'if' on line 1
    --> <stdin>:2:1
    |
  2 | x = 1
    | ^
    = help: indent the lines of the block, e.g. by 4 spaces
  [2]

A missing file (or a directory) is a usage error, exit 2, before any file runs:

  $ gradcli run nope.grad
  error: cannot read 'nope.grad': No such file or directory
    = help: check the path
  [2]
  $ gradcli run first.grad nope.grad second.grad
  error: cannot read 'nope.grad': No such file or directory
    = help: check the path
  [2]
  $ mkdir adir && gradcli run adir
  error: cannot read 'adir': Is a directory
    = help: check the path
  [2]
  $ gradcli run 2>&1 | tail -1
  Error: Missing argument 'files'.

Line endings and a missing final newline do not matter:

  $ printf 'x = 1\r\nx + 1\r\n' | gradcli run -
  2
  $ printf 'x = 3\nx' | gradcli run -
  3

--help of every command shows examples; --version prints the version.

  $ gradcli --help | sed -n '/^  Examples:/,/^Options:/p'
    Examples:
  
      gradcli '9*x^4 + 2*x^3 + 3*x^2 + 6*x + 1' x=2
  
      gradcli 'sin(x)*y' x=pi/4 y=3 --wrt x
  
      gradcli run examples/tutorial.grad
  
      gradcli repl
  
  Options:
  $ gradcli eval --help | sed -n '/^  Examples:/,/^Arguments:/p'
    Examples:
  
      gradcli '9*x^4 + 2*x^3 + 3*x^2 + 6*x + 1' x=2
  
      gradcli 'x^2 + z^3' x=1 z=2 --wrt z
  
      gradcli 'sum(v^2)' v='[1, 2, 3]' --json
  
      gradcli 'v^2' v='[1, 2, 3]' --jacobian
  
      gradcli 'x^3' x=2 --hessian
  
  Arguments:
  $ gradcli run --help | sed -n '/^  Examples:/,/^Arguments:/p'
    Examples:
  
      gradcli run examples/tutorial.grad
  
      echo 'x = tensor(2., requires_grad=True); (x**3).backward(); x.grad' |
      gradcli run -
  
  Arguments:
  $ gradcli repl --help | sed -n '/^  Examples:/,/^Options:/p'
    Examples:
  
      gradcli repl
  
      gradcli            (on a terminal)
  
  Options:
  $ gradcli run -h | head -1
  Usage: gradcli run [OPTIONS] {files}...
  $ gradcli --version
  gradcli \d+\.\d+\.\d+ (re)
  $ python -m gradcli --version
  gradcli \d+\.\d+\.\d+ (re)

The example the top-level help names exists and runs. When the reader of a
pipe stops early (`| head`), gradcli stops quietly, like other Unix tools:

  $ cd $TESTDIR/../.. && gradcli run examples/tutorial.grad | head -2; cd - > /dev/null
  Gradient function for z = <AddBackward0>
  Gradient function for loss = <BinaryCrossEntropyWithLogitsBackward0>

--timeout stops a runaway loop (exit 1) and --max-elements caps tensors in scripts too:

  $ printf 'while True:\n    pass\n' | timeout 60 gradcli run --timeout 0.5 -
  error: stopped after the --timeout of 0.5 s
    = help: raise --timeout, or check for a loop that never ends
  [1]
  $ echo 'import torch; x = torch.zeros(10**9)' | gradcli run -
  error: a tensor of shape [1000000000] would have 1,000,000,000 elements, more than the limit of 134,217,728
    --> <stdin>:1:19
    |
  1 | import torch; x = torch.zeros(10**9)
    |                   ^^^^^^^^^^^^^^^^^^
    = help: use smaller shapes, or raise the cap with --max-elements
  [1]
  $ echo 'import torch; torch.ones(100).sum()' | gradcli run --max-elements 10 -
  error: a tensor of shape [100] would have 100 elements, more than the limit of 10
    --> <stdin>:1:15
    |
  1 | import torch; torch.ones(100).sum()
    |               ^^^^^^^^^^^^^^^
    = help: use smaller shapes, or raise the cap with --max-elements
  [1]
