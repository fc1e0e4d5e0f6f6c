"""The loss of token-sequence outputs (seq2seq, img2seq): cross-entropy over the target tokens,
right-padding (id 0) ignored."""

from __future__ import annotations

from torch import Tensor, nn

PAD_ID = 0


def padded_cross_entropy(logits: Tensor, targets: Tensor, reduction: str = "mean",
                         label_smoothing: float = 0.0) -> Tensor:
    """logits (B, T, V), targets (B, T) right-padded with 0 -> the mean loss per real target
    token (scalar), or with reduction="sum" their sum. Computed in float32 under autocast.

    label_smoothing eps: each real token's loss is (1 - eps) x -log p(target) + eps x the mean
    of -log p over all V classes (torch's definition; Szegedy et al. 2016), for training only:
    held-out losses are reported without it."""
    if not 0.0 <= label_smoothing < 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing}")
    return nn.functional.cross_entropy(logits.flatten(0, 1).float(), targets.flatten(),
                                       ignore_index=PAD_ID, reduction=reduction,
                                       label_smoothing=label_smoothing)


def target_tokens(targets: Tensor) -> int:
    """The number of real (not padding) tokens in targets (B, T)."""
    return int((targets != PAD_ID).sum())
