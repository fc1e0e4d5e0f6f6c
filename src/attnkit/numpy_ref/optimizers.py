"""Optimisers of the NumPy engine, updating parameters in place from their gradients."""

from __future__ import annotations

import numpy as np

from attnkit.errors import AttnkitError


def clip_grads_by_global_norm(grads: list[np.ndarray], max_norm: float) -> float:
    """Scale all gradients in place so that their joint L2 norm is at most `max_norm`, with
    torch's `clip_grad_norm_` rule (scale max_norm / (norm + 1e-6) when above). -> the norm
    before clipping."""
    total = float(np.sqrt(sum(float(np.vdot(grad, grad)) for grad in grads)))
    scale = max_norm / (total + 1e-6)
    if scale < 1.0:
        for grad in grads:
            grad *= scale
    return total


class SGD:
    """param -= lr * grad."""

    def __init__(self, lr: float = 0.01) -> None:
        if lr <= 0:
            raise AttnkitError(f"learning rate must be positive, got {lr}")
        self.lr = lr

    def update(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        for param, grad in zip(params, grads, strict=True):
            param -= self.lr * grad


class Adam:
    """Adam with bias correction, written as torch.optim.Adam computes it:
    param -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)."""

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8) -> None:
        if lr <= 0:
            raise AttnkitError(f"learning rate must be positive, got {lr}")
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.step_count = 0
        self.first_moments: list[np.ndarray] = []
        self.second_moments: list[np.ndarray] = []

    def update(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        if not self.first_moments:
            self.first_moments = [np.zeros_like(param) for param in params]
            self.second_moments = [np.zeros_like(param) for param in params]
        self.step_count += 1
        step_size = self.lr / (1.0 - self.beta1**self.step_count)
        root_correction = np.sqrt(1.0 - self.beta2**self.step_count)
        moments = zip(params, grads, self.first_moments, self.second_moments, strict=True)
        for param, grad, first, second in moments:
            first *= self.beta1
            first += (1.0 - self.beta1) * grad
            second *= self.beta2
            second += (1.0 - self.beta2) * (grad * grad)
            denominator = np.sqrt(second)
            denominator /= root_correction
            denominator += self.eps
            param -= step_size * (first / denominator)
