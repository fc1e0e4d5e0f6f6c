"""NumPy optimisers and clipping against torch's, and the engine's import boundary."""

import subprocess
import sys

import numpy as np
import pytest
import torch

from attnkit.errors import AttnkitError
from attnkit.numpy_ref import SGD, Adam, clip_grads_by_global_norm


def gradient_sequence(step: int) -> list[np.ndarray]:
    generator = np.random.default_rng(step)
    return [generator.standard_normal((3, 4)), generator.standard_normal(5) * 10]


def test_adam_follows_torch_adam():
    params = [np.ones((3, 4)), np.linspace(-1, 1, 5)]
    torch_params = [torch.tensor(p, requires_grad=True) for p in params]
    torch_adam = torch.optim.Adam(torch_params, lr=0.01)
    adam = Adam(lr=0.01)
    for step in range(5):
        grads = gradient_sequence(step)
        adam.update(params, grads)
        for param, grad in zip(torch_params, grads, strict=True):
            param.grad = torch.tensor(grad)
        torch_adam.step()
    for param, torch_param in zip(params, torch_params, strict=True):
        np.testing.assert_allclose(param, torch_param.detach().numpy(), rtol=1e-12, atol=1e-12)


def test_clipping_matches_torch_and_leaves_small_gradients_alone():
    grads = gradient_sequence(0)
    tensors = [torch.tensor(g) for g in grads]
    for tensor in tensors:
        tensor.grad = tensor.clone()
    expected = torch.nn.utils.clip_grad_norm_(tensors, 5.0)
    assert clip_grads_by_global_norm(grads, 5.0) == pytest.approx(float(expected))
    for grad, tensor in zip(grads, tensors, strict=True):
        np.testing.assert_allclose(grad, tensor.grad.numpy(), rtol=1e-12)
    small = [np.full(3, 0.1)]
    clip_grads_by_global_norm(small, 5.0)
    assert np.all(small[0] == 0.1)


def test_sgd_step_and_bad_learning_rate():
    param = np.ones(3)
    SGD(lr=0.5).update([param], [np.array([2.0, 0.0, -2.0])])
    assert param.tolist() == [0.0, 1.0, 2.0]
    with pytest.raises(AttnkitError, match="learning rate"):
        Adam(lr=0)


def test_numpy_engine_imports_no_torch():
    code = ("import sys, attnkit.numpy_ref; "
            "print(sorted(m for m in ('torch', 'tqdm') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, timeout=60)
    assert result.stdout.strip() == "[]"
