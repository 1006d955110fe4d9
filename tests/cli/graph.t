Views of the computation graph: gradcli graph, --tree, --ledger, --explain, check, plot.

A tree from the output down to the leaves; a node reached twice is drawn once:

  $ gradcli graph 'sin(x) * x + x' x=0.5
  f: AddBackward0  [] float64  = 0.7397127693021015
  ├── MulBackward0  [] float64
  │   ├── SinBackward0  [] float64  = 0.479425538604203
  │   │   └── x: leaf  [] float64  requires_grad=True  = 0.5  grad = 
  │   │       1.9182168195493894
  │   └── ↺ x (drawn above)
  └── ↺ x (drawn above)

The same graph as a grad_fn chain, Graphviz DOT, Mermaid and JSON:

  $ gradcli graph 'sin(x) * x + x' x=0.5 --format chain
  f <- AddBackward0
      [0] <- MulBackward0
            [0] <- SinBackward0
                <- AccumulateGrad (x)
            [1] <- AccumulateGrad (x), see above
      [1] <- AccumulateGrad (x), see above

  $ gradcli graph 'x * y' x=2 y=3 --format dot
  digraph gradcli {
    graph [rankdir=TB, ordering=in];
    node [fontname="Helvetica", fontsize=10, height=0.2];
    edge [fontname="Helvetica", fontsize=8, arrowsize=0.7];
    n0 [label="f\nMulBackward0\n[] float64\n= 6", shape=box, style="rounded,filled", fillcolor="#b7e1a1", penwidth=2];
    n1 [label="x\n[] float64\n= 2\ngrad = 3", shape=box, style=filled, fillcolor="#bcd6f5"];
    n2 [label="y\n[] float64\n= 3\ngrad = 2", shape=box, style=filled, fillcolor="#bcd6f5"];
    n1 -> n0 [label="0"];
    n2 -> n0 [label="1"];
  }

  $ gradcli graph 'x * y' x=2 y=3 --format mermaid
  flowchart BT
      n0[["f<br/>MulBackward0<br/>[] float64<br/>= 6"]]
      n1(["x<br/>[] float64<br/>= 2<br/>grad = 3"])
      n2(["y<br/>[] float64<br/>= 3<br/>grad = 2"])
      n1 -->|0| n0
      n2 -->|1| n0
      classDef output fill:#b7e1a1,stroke:#3c763d,stroke-width:2px
      classDef op fill:#e8e8e8,stroke:#888888
      classDef leaf fill:#bcd6f5,stroke:#4a6fa5
      classDef constant fill:#ffffff,stroke:#bbbbbb,color:#777777
      class n0 output
      class n1,n2 leaf

  $ gradcli graph 'x * y' x=2 y=3 --format json
  {
    "format": "gradcli-graph",
    "version": 1,
    "root": "n0",
    "nodes": [
      {
        "id": "n0",
        "kind": "op",
        "output": true,
        "grad_fn": "MulBackward0",
        "name": "f",
        "shape": [],
        "dtype": "float64",
        "requires_grad": true,
        "value": "6",
        "grad": null,
        "rule": [
          "∂(a·b)/∂a = b",
          "∂(a·b)/∂b = a"
        ],
        "inputs": [
          "n1",
          "n2"
        ],
        "uses": 0
      },
      {
        "id": "n1",
        "kind": "leaf",
        "output": false,
        "grad_fn": "AccumulateGrad",
        "name": "x",
        "shape": [],
        "dtype": "float64",
        "requires_grad": true,
        "value": "2",
        "grad": "3",
        "rule": [],
        "inputs": [],
        "uses": 1
      },
      {
        "id": "n2",
        "kind": "leaf",
        "output": false,
        "grad_fn": "AccumulateGrad",
        "name": "y",
        "shape": [],
        "dtype": "float64",
        "requires_grad": true,
        "value": "3",
        "grad": "2",
        "rule": [],
        "inputs": [],
        "uses": 1
      }
    ],
    "edges": [
      {
        "from": "n1",
        "to": "n0",
        "slot": 0
      },
      {
        "from": "n2",
        "to": "n0",
        "slot": 1
      }
    ]
  }
  

A script's tensor, by name:

  $ cat > net.grad <<'SCRIPT'
  > import torch
  > import torch.nn.functional as F
  > torch.manual_seed(1)
  > x = torch.ones(5)
  > y = torch.zeros(3)
  > w = torch.randn(5, 3, requires_grad=True)
  > b = torch.randn(3, requires_grad=True)
  > z = torch.matmul(x, w) + b
  > loss = F.binary_cross_entropy_with_logits(z, y)
  > loss.backward()
  > SCRIPT
  $ gradcli graph --file net.grad --target loss --format chain
  loss <- BinaryCrossEntropyWithLogitsBackward0
         [0] <- AddBackward0 (z)
               [0] <- SqueezeBackward4
                   <- MmBackward0
                     [0] constant
                     [1] <- AccumulateGrad (w)
               [1] <- AccumulateGrad (b)
         [1] constant

  $ gradcli graph --file net.grad --target nothing
  error: 'net.grad' has no tensor variable 'nothing'
  [2]

  $ gradcli graph --file net.grad --format xml
  error: --format must be one of tree, chain, dot, mermaid, json, not 'xml'
  [2]

The chain rule path by path, and each node's rule:

  $ gradcli 'x^2*y' x=2 y=3 --ledger
  f = 12
  df/dx = 12
  df/dy = 4
  f = 12
  
  ∂f/∂x: 1 path
    path 1: f <- MulBackward0 <- PowBackward0 <- x
      MulBackward0  ∂(a·b)/∂a = b      3
      PowBackward0  ∂(uᵖ)/∂u = p·uᵖ⁻¹  4
      product                          12
    sum over paths    = 12
    autograd gradient = 12  ✓ equal
  
  ∂f/∂y: 1 path
    path 1: f <- MulBackward0 <- y
      MulBackward0  ∂(a·b)/∂b = a  4
      product                      4
    sum over paths    = 4
    autograd gradient = 4  ✓ equal

  $ gradcli 'x^2*y' x=2 y=3 --tree --explain
  f = 12
  df/dx = 12
  df/dy = 4
  f: MulBackward0  [] float64  = 12
    ∂(a·b)/∂a = b
    ∂(a·b)/∂b = a
  ├── PowBackward0  [] float64  = 4
  │     ∂(uᵖ)/∂u = p·uᵖ⁻¹
  │   └── x: leaf  [] float64  requires_grad=True  = 2  grad = 12
  └── y: leaf  [] float64  requires_grad=True  = 3  grad = 4

The same views inside scripts:

  $ printf 'a = tensor(0.5, requires_grad=True)\nf = sin(a) * a + a\ntree(f)\nchain(f)\nledger(f, a)\n' | gradcli run -
  f: AddBackward0  [] float32  = 0.7397128
  ├── MulBackward0  [] float32
  │   ├── SinBackward0  [] float32  = 0.47942555
  │   │   └── a: leaf  [] float32  requires_grad=True  = 0.5
  │   └── ↺ a (drawn above)
  └── ↺ a (drawn above)
  f <- AddBackward0
      [0] <- MulBackward0
            [0] <- SinBackward0
                <- AccumulateGrad (a)
            [1] <- AccumulateGrad (a), see above
      [1] <- AccumulateGrad (a), see above
  f = 0.7397128
  
  ∂f/∂a: 3 paths
    path 1: f <- AddBackward0 (f) <- MulBackward0 <- SinBackward0 <- a
      AddBackward0 (f)  ∂(a+b)/∂a = 1         1
      MulBackward0      ∂(a·b)/∂a = b         0.5
      SinBackward0      ∂ sin(u)/∂u = cos(u)  0.87758255
      product                                 0.43879128
    path 2: f <- AddBackward0 (f) <- MulBackward0 <- a
      AddBackward0 (f)  ∂(a+b)/∂a = 1  1
      MulBackward0      ∂(a·b)/∂b = a  0.47942555
      product                          0.47942555
    path 3: f <- AddBackward0 (f) <- a
      AddBackward0 (f)  ∂(a+b)/∂b = 1  1
      product                          1
    sum over paths    = 1.9182168
    autograd gradient = 1.9182168  ✓ equal

Autograd against finite differences (exit 1 on a mismatch):

  $ gradcli check 'sin(x) * y^2' x=1 y=2
  autograd vs central finite differences (float64)             
  ┏━━━━━━━━━━┳━━━━━━━┳━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┳━━━━━━━━┓
  ┃ variable ┃ shape ┃ max abs error ┃ max rel error ┃ result ┃
  ┡━━━━━━━━━━╇━━━━━━━╇━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━╇━━━━━━━━┩
  │ x        │ []    │      1.11e-10 │      5.13e-11 │ ok     │
  │ y        │ []    │      1.12e-10 │      3.33e-11 │ ok     │
  └──────────┴───────┴───────────────┴───────────────┴────────┘

  $ gradcli check '2' 
  error: the expression has no variables to check
    = help: e.g. gradcli check 'sin(x)' x=1
  [2]

A terminal plot of f and f':

  $ gradcli plot 'x^3 - 3*x' x=-2:2 --height 8 --points 40
  f = x^3 - 3*x
       9 |o                                      o
         | oo                                  oo 
         |   o                                o   
         |    oo                            oo    
         |      oo*******                 oo     *
         |--****--ooo----******--------ooo----***-
         |**         oooo      ****oooo*******    
  -2.992 |               oooooooooo               
         +----------------------------------------
          -2                                     2
  * f   o df/dx

  $ gradcli plot 'x^2' x=2:1
  error: the range 2:1 must go from a smaller to a larger finite number
  [2]

Equivalent PyTorch code:

  $ gradcli 'sin(x)^2 + ln(y)' x=1 y=2 --emit torch
  import torch
  
  x = torch.tensor(1, dtype=torch.float64, requires_grad=True)
  y = torch.tensor(2, dtype=torch.float64, requires_grad=True)
  f = torch.sin(x) ** 2 + torch.log(y)
  f.backward()
  print(f.item())
  print(x.grad)
  print(y.grad)

--output writes the chosen format to a file (.svg/.png/.pdf are rendered with Graphviz's dot):

  $ gradcli graph 'x * y' x=2 y=3 --format mermaid --output g.mmd
  $ head -1 g.mmd
  flowchart BT
  $ gradcli graph 'x * y' x=2 y=3 --output /no/such/dir/g.dot
  error: cannot write '/no/such/dir/g.dot': No such file or directory
  [2]
