"""The classifier's loss and decision rule: one sigmoid logit for two classes, else softmax."""

from __future__ import annotations

from torch import Tensor, nn


def classification_loss(logits: Tensor, labels: Tensor, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy on one logit (B,), or cross-entropy on (B, C) logits."""
    if logits.dim() == 1:
        return nn.functional.binary_cross_entropy_with_logits(
            logits.float(), labels.float(), reduction=reduction)
    return nn.functional.cross_entropy(logits.float(), labels, reduction=reduction)


def predicted_classes(logits: Tensor) -> Tensor:
    """logits (B,) | (B, C) -> class ids (B,)."""
    if logits.dim() == 1:
        return (logits > 0).long()
    return logits.argmax(dim=1)
