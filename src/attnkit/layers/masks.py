"""Boolean masks (True = attend) and the one place where a mask becomes -inf scores."""

import torch
from torch import Tensor


def lengths_to_mask(lengths: Tensor, max_len: int | None = None) -> Tensor:
    """lengths (B,) -> mask (B, S) bool, True at the first lengths[b] positions of row b.

    S is `max_len` when given (it must cover the longest sequence), else the longest length.
    The mask is on the device of `lengths`.
    """
    if lengths.dim() != 1:
        raise ValueError(f"lengths must have shape (B,), got {tuple(lengths.shape)}")
    if max_len is None:
        max_len = int(lengths.max()) if lengths.numel() > 0 else 0
    elif not torch.compiler.is_exporting():  # torch.export cannot trace a check of values
        longest = int(lengths.max()) if lengths.numel() > 0 else 0
        if max_len < longest:
            raise ValueError(f"max_len={max_len} is shorter than the longest sequence "
                             f"({longest})")
    positions = torch.arange(max_len, device=lengths.device)
    return positions.unsqueeze(0) < lengths.unsqueeze(1)


def masked_softmax(scores: Tensor, mask: Tensor | None) -> Tensor:
    """Softmax over the last axis of `scores`, ignoring positions where `mask` is False.

    scores (B, S) | (B, T, S) | (B, heads, T, S); mask bool, broadcastable to scores,
    e.g. (B, S) for (B, S) scores or (B, 1, S) for (B, T, S) -> weights with the shape of scores.
    Masked positions get weight exactly 0.0, and a row with no unmasked position gets all-zero
    weights (not NaN), with finite gradients.
    """
    if mask is None:
        return torch.softmax(scores, dim=-1)
    if mask.dtype != torch.bool:
        raise TypeError(f"mask must be a bool tensor (True = attend), got {mask.dtype}")
    scores = scores.masked_fill(~mask, float("-inf"))
    # A row with every position masked would be softmax(-inf, ..., -inf) = NaN; give it finite
    # scores instead, and let the final masked_fill turn its weights into zeros.
    has_any = mask.any(dim=-1, keepdim=True)
    scores = scores.masked_fill(~has_any, 0.0)
    return torch.softmax(scores, dim=-1).masked_fill(~mask, 0.0)
