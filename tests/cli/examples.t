Every example in examples/, run with `gradcli run`. The expected output is not
gradcli's: it is what PyTorch 2.13 prints for the same file, produced by
`python examples/make_golden.py > tests/cli/examples.t`, which runs each file under real PyTorch with examples/torch_reference.py
(statements run as typed at Python's prompt, so bare expressions echo;
`<AddBackward0 object at 0x...>` is written `<AddBackward0>`; manual_seed
echoes nothing). Where PyTorch prints a warning or raises an error, gradcli
says the same in its own words on stderr (merged here), so those lines are
gradcli's diagnostic text, checked by hand to mean what PyTorch's does; the
file path in them is matched with a glob. Do not --update-golden this file.

01_one_layer_net.grad (its comments say what it shows):

  $ gradcli run $TESTDIR/../../examples/01_one_layer_net.grad
  (torch.Size([5]), torch.Size([5, 3]))
  tensor(0.2520, grad_fn=<BinaryCrossEntropyWithLogitsBackward0>)
  Gradient function for z = <AddBackward0>
  Gradient function for loss = <BinaryCrossEntropyWithLogitsBackward0>
  Gradient function for z = <AddBackward0>
  tensor([[0.1083, 0.0369, 0.0726],
          [0.1083, 0.0369, 0.0726],
          [0.1083, 0.0369, 0.0726],
          [0.1083, 0.0369, 0.0726],
          [0.1083, 0.0369, 0.0726]])
  tensor([0.1083, 0.0369, 0.0726])
  Derivative of w:  tensor([[0.1083, 0.0369, 0.0726],
          [0.1083, 0.0369, 0.0726],
          [0.1083, 0.0369, 0.0726],
          [0.1083, 0.0369, 0.0726],
          [0.1083, 0.0369, 0.0726]])
  Derivative of b:  tensor([0.1083, 0.0369, 0.0726])
  (True, False, None)

02_no_grad_and_detach.grad (its comments say what it shows):

  $ gradcli run $TESTDIR/../../examples/02_no_grad_and_detach.grad
  True
  False
  tensor([-0.7313, -2.0824, -1.2786])
  Before detach():  True
  After detach():  False
  True
  True
  False
  True
  True
  True
  False
  True
  False
  tensor(True)

03_jacobian_product.grad (its comments say what it shows):

  $ gradcli run $TESTDIR/../../examples/03_jacobian_product.grad
  tensor([[4., 1., 1., 1.],
          [1., 4., 1., 1.],
          [1., 1., 4., 1.],
          [1., 1., 1., 4.],
          [1., 1., 1., 1.]], grad_fn=<TBackward0>)
  First call
  tensor([[4., 2., 2., 2., 2.],
          [2., 4., 2., 2., 2.],
          [2., 2., 4., 2., 2.],
          [2., 2., 2., 4., 2.]])
  
  Second call
  tensor([[8., 4., 4., 4., 4.],
          [4., 8., 4., 4., 4.],
          [4., 4., 8., 4., 4.],
          [4., 4., 4., 8., 4.]])
  tensor([[0., 0., 0., 0., 0.],
          [0., 0., 0., 0., 0.],
          [0., 0., 0., 0., 0.],
          [0., 0., 0., 0., 0.]])
  
  Call after zeroing gradients
  tensor([[4., 2., 2., 2., 2.],
          [2., 4., 2., 2., 2.],
          [2., 2., 4., 2., 2.],
          [2., 2., 2., 4., 2.]])
  tensor([[0., 0., 0., 0., 0.],
          [0., 0., 0., 0., 0.],
          [0., 0., 0., 0., 0.],
          [0., 0., 0., 0., 0.]])
  tensor([[4., 2., 2., 2., 2.],
          [2., 4., 2., 2., 2.],
          [2., 2., 4., 2., 2.],
          [2., 2., 2., 4., 2.]])

04_grad_fn_names.grad (its comments say what it shows):

  $ gradcli run $TESTDIR/../../examples/04_grad_fn_names.grad
  tensor([[1., 1.],
          [1., 1.]])
  tensor([[3., 3.],
          [3., 3.]])
  tensor([[1., 1.],
          [1., 1.]], requires_grad=True)
  tensor([[3., 3.],
          [3., 3.]], grad_fn=<AddBackward0>)
  tensor([[3., 3.],
          [3., 3.]], grad_fn=<AddBackward0>)
  tensor([[-1., -1.],
          [-1., -1.]], grad_fn=<SubBackward0>)
  tensor([[2., 2.],
          [2., 2.]], grad_fn=<MulBackward0>)
  tensor([[0.5000, 0.5000],
          [0.5000, 0.5000]], grad_fn=<DivBackward0>)
  <DivBackward0>
  tensor([[27., 27.],
          [27., 27.]], grad_fn=<MulBackward0>) 
   tensor(27., grad_fn=<MeanBackward0>)
  <MulBackward0>
  ((<MulBackward0>, 0), (None, 0))
  ((<AccumulateGrad>, 0), (None, 0))

05_polynomial.grad (its comments say what it shows):

  $ gradcli run $TESTDIR/../../examples/05_polynomial.grad
  tensor(185., grad_fn=<AddBackward0>)
  tensor(330.)
  330.0

06_partial_derivatives.grad (its comments say what it shows):

  $ gradcli run $TESTDIR/../../examples/06_partial_derivatives.grad
  tensor(2.) tensor(12.)
  (tensor(2.), tensor(12.))
  None

07_mean.grad (its comments say what it shows):

  $ gradcli run $TESTDIR/../../examples/07_mean.grad
  tensor([[1., 2.],
          [3., 4.]], requires_grad=True)
  tensor([[3., 4.],
          [5., 6.]], grad_fn=<AddBackward0>)
  tensor([[ 27.,  48.],
          [ 75., 108.]], grad_fn=<MulBackward0>)
  tensor(64.5000, grad_fn=<MeanBackward0>)
  tensor([[4.5000, 6.0000],
          [7.5000, 9.0000]])
  tensor(27., grad_fn=<MeanBackward0>)
  tensor([[4.5000, 4.5000],
          [4.5000, 4.5000]])

08_vector_jacobian_while.grad (its comments say what it shows):

  $ gradcli run $TESTDIR/../../examples/08_vector_jacobian_while.grad
  NORM :  tensor(1466.0580)
  tensor([1354.4492,  546.6606,  126.3150], grad_fn=<MulBackward0>)
  tensor([2.0480e+02, 2.0480e+03, 2.0480e-01])
  tensor([[6.8713, 2.3966],
          [3.3631, 0.2277]])
  tensor(True)

09_non_leaf_grad.grad (its comments say what it shows):

  $ gradcli run $TESTDIR/../../examples/09_non_leaf_grad.grad
  tensor([[0.6614, 0.2669],
          [0.0617, 0.6213]], requires_grad=True)
  tensor([[2.6614, 2.2669],
          [2.0617, 2.6213]], grad_fn=<AddBackward0>)
  tensor(23.3436, grad_fn=<SumBackward0>)
  tensor([[5.3227, 4.5338],
          [4.1234, 5.2426]])
  warning: the .grad of a non-leaf tensor is not filled in by backward(), so it is None; call .retain_grad() on it before backward() to keep it
    --> */examples/09_non_leaf_grad.grad:15:1 (glob)
     |
  15 | print(y.grad)        # None, with a warning on stderr
     | ^^^^^^^^^^^^^
  None
  warning: the .grad of a non-leaf tensor is not filled in by backward(), so it is None; call .retain_grad() on it before backward() to keep it
    --> */examples/09_non_leaf_grad.grad:16:1 (glob)
     |
  16 | print(z.grad)        # None, with a warning on stderr
     | ^^^^^^^^^^^^^
  None
  (True, False, False)
  tensor([1., 1., 1.])
  tensor([2., 4., 6.])
  (False, True)

10_retain_graph.grad (its comments say what it shows):

  $ gradcli run $TESTDIR/../../examples/10_retain_graph.grad
  Derivative of w:  tensor([[0.2166, 0.0739, 0.1452],
          [0.2166, 0.0739, 0.1452],
          [0.2166, 0.0739, 0.1452],
          [0.2166, 0.0739, 0.1452],
          [0.2166, 0.0739, 0.1452]])
  Derivative of b:  tensor([0.2166, 0.0739, 0.1452])
  Derivative of w:  tensor([[0.2166, 0.0739, 0.1452],
          [0.2166, 0.0739, 0.1452],
          [0.2166, 0.0739, 0.1452],
          [0.2166, 0.0739, 0.1452],
          [0.2166, 0.0739, 0.1452]])
  Derivative of b:  tensor([0.2166, 0.0739, 0.1452])
  error: cannot backpropagate through this graph again: the values saved for BinaryCrossEntropyWithLogitsBackward0 were freed by an earlier backward
    --> */examples/10_retain_graph.grad:30:1 (glob)
     |
  30 | loss.backward()
     | ^^^^^^^^^^^^^^^
    = help: pass retain_graph=True to the first backward() (or autograd.grad()) call
  [1]

11_accumulation_zero_grad.grad (its comments say what it shows):

  $ gradcli run $TESTDIR/../../examples/11_accumulation_zero_grad.grad
  0번째 loss.backward() tensor([ 0.1711, -0.2654,  0.1118])
  1번째 loss.backward() tensor([ 0.1711, -0.2654,  0.1118])
  2번째 loss.backward() tensor([ 0.1711, -0.2654,  0.1118])
  3번째 loss.backward() tensor([ 0.1711, -0.2654,  0.1118])
  0번째 loss.backward() tensor([ 0.1711, -0.2654,  0.1118])
  1번째 loss.backward() tensor([ 0.3422, -0.5308,  0.2237])
  2번째 loss.backward() tensor([ 0.5133, -0.7962,  0.3355])
  3번째 loss.backward() tensor([ 0.6844, -1.0616,  0.4474])
  None None
  tensor(8.)
  tensor(0.)

12_sgd_loop.grad (its comments say what it shows):

  $ gradcli run $TESTDIR/../../examples/12_sgd_loop.grad
  epoch 0: loss = 21.0000
  epoch 10: loss = 0.0003
  epoch 20: loss = 0.0001
  tensor([[2.0039]], requires_grad=True)
  tensor([0.9918], requires_grad=True)
  tensor(2.7830e-05, grad_fn=<MseLossBackward0>)
  tensor([ 0.8000, -1.6000], requires_grad=True)

13_requires_grad_.grad (its comments say what it shows):

  $ gradcli run $TESTDIR/../../examples/13_requires_grad_.grad
  a = tensor([[-5.8588, -1.0923],
          [-0.1972, -4.9222]])
  False 
  
  tensor([[-5.8588, -1.0923],
          [-0.1972, -4.9222]], requires_grad=True)
  a = tensor([[-5.8588, -1.0923],
          [-0.1972, -4.9222]], requires_grad=True)
  True 
  
  <SumBackward0>
  tensor([[1., 1.],
          [1., 1.]])
  tensor([[3., 3.],
          [3., 3.]])
  tensor([[3., 3.],
          [3., 3.]], requires_grad=True)
  tensor([[1., 1.],
          [1., 1.]])
  tensor([[3., 3.],
          [3., 3.]], requires_grad=True)
  None True
  tensor([[2., 2.],
          [2., 2.]])

14_backward_needs_scalar.grad (its comments say what it shows):

  $ gradcli run $TESTDIR/../../examples/14_backward_needs_scalar.grad
  torch.Size([2, 2])
  error: backward() without a gradient needs a single-element output, but this one has shape [2, 2]
    --> */examples/14_backward_needs_scalar.grad:11:1 (glob)
     |
  11 | z.backward()
     | ^^^^^^^^^^^^
    = help: reduce it first (.sum() or .mean()) or pass gradient= with the output's shape
  [1]

tutorial.grad (its comments say what it shows):

  $ gradcli run $TESTDIR/../../examples/tutorial.grad
  Gradient function for z = <AddBackward0>
  Gradient function for loss = <BinaryCrossEntropyWithLogitsBackward0>
  tensor([[0.2661, 0.1179, 0.0027],
          [0.2661, 0.1179, 0.0027],
          [0.2661, 0.1179, 0.0027],
          [0.2661, 0.1179, 0.0027],
          [0.2661, 0.1179, 0.0027]])
  tensor([0.2661, 0.1179, 0.0027])
  True
  False
  False
  First call
  tensor([[4., 2., 2., 2., 2.],
          [2., 4., 2., 2., 2.],
          [2., 2., 4., 2., 2.],
          [2., 2., 2., 4., 2.]])
  
  Second call
  tensor([[8., 4., 4., 4., 4.],
          [4., 8., 4., 4., 4.],
          [4., 4., 8., 4., 4.],
          [4., 4., 4., 8., 4.]])
  tensor([[0., 0., 0., 0., 0.],
          [0., 0., 0., 0., 0.],
          [0., 0., 0., 0., 0.],
          [0., 0., 0., 0., 0.]])
  
  Call after zeroing gradients
  tensor([[4., 2., 2., 2., 2.],
          [2., 4., 2., 2., 2.],
          [2., 2., 4., 2., 2.],
          [2., 2., 2., 4., 2.]])
