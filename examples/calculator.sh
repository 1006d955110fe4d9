#!/usr/bin/env bash
# One-liners for gradcli's calculator: `gradcli EXPR NAME=VALUE ...`.
# Free variables are float64 leaves that require grad; gradcli prints the value
# f and the derivative with respect to each variable. `^` is power (as `**`).
# Run the whole file with `bash examples/calculator.sh`; each command is shown first.
set -u
show() { printf '\n# gradcli'; printf " '%s'" "$@"; printf '\n'; gradcli "$@"; }

# The tutorial polynomial: f(2) = 185, f'(2) = 36*8 + 6*4 + 6*2 + 6 = 330.
show '9*x^4 + 2*x^3 + 3*x^2 + 6*x + 1' x=2

# Partial derivatives of x^2 + z^3 at (1, 2): 2x = 2, 3z^2 = 12.
show 'x^2 + z^3' x=1 z=2

# Only some variables: --wrt.
show 'sin(x)*y' x=pi/4 y=3 --wrt x

# Values are expressions: constants pi and e, ln is the natural log.
show 'ln(x)' x=e
show 'cos(pi*x)' x=1/3

# Single precision instead of float64.
show 'x/3' x=1 --dtype float32

# Tensors: a reduction gives one gradient per element.
show 'sum(v^2)' v='[1, 2, 3]'
show 'mean(v)' v='[1, 2, 3, 4]'

# Non-scalar output: the full Jacobian, or a vector-Jacobian product.
show 'v^2' v='[1, 2, 3]' --jacobian
show 'v^2' v='[1, 2, 3]' --vjp '[0.1, 1, 0.0001]'

# Second derivatives.
show 'x^2*y' x=2 y=3 --hessian

# Machine-readable output.
show 'sum(v^2)' v='[1, 2, 3]' --json

# An expression that starts with '-' goes after `--`, so it is not read as an option.
show -- '-2^2 + x' x=0
