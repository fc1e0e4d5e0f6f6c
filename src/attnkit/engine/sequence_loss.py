"""The loss of token-sequence outputs (seq2seq, img2seq): cross-entropy over the target tokens,
right-padding (id 0) ignored."""

from __future__ import annotations

from torch import Tensor, nn

PAD_ID = 0


def padded_cross_entropy(logits: Tensor, targets: Tensor, reduction: str = "mean") -> Tensor:
    """logits (B, T, V), targets (B, T) right-padded with 0 -> the mean loss per real target
    token (scalar), or with reduction="sum" their sum. Computed in float32 under autocast."""
    return nn.functional.cross_entropy(logits.flatten(0, 1).float(), targets.flatten(),
                                       ignore_index=PAD_ID, reduction=reduction)


def target_tokens(targets: Tensor) -> int:
    """The number of real (not padding) tokens in targets (B, T)."""
    return int((targets != PAD_ID).sum())
