"""Warm starts: a new model begins from an earlier checkpoint's weights (`train.init_from`).

Tensors whose names and shapes agree are copied. Tensors indexed by token along their first
dimension (embeddings, output layers and their biases) may differ in size when the
vocabularies differ: then the rows of the tokens both vocabularies hold are copied and the
other rows keep their fresh initialisation. Everything else stays fresh.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from attnkit.errors import AttnkitError
from attnkit.run.checkpoint import Checkpoint


@dataclass(frozen=True)
class WarmStart:
    """What a warm start copied: tensor names copied whole, by token rows, and left fresh."""

    copied: tuple[str, ...]
    by_token: tuple[str, ...]
    fresh: tuple[str, ...]
    shared_tokens: int

    def summary(self) -> str:
        return (f"warm start: {len(self.copied)} tensors copied, {len(self.by_token)} by the "
                f"rows of {self.shared_tokens} shared tokens, {len(self.fresh)} fresh")


def token_rows(tokens: Sequence[str], earlier: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """(rows in the new vocabulary, the same tokens' rows in the earlier one)."""
    where = {token: index for index, token in enumerate(earlier)}
    new = [index for index, token in enumerate(tokens) if token in where]
    old = [where[tokens[index]] for index in new]
    return torch.tensor(new, dtype=torch.long), torch.tensor(old, dtype=torch.long)


def warm_start(model: torch.nn.Module, checkpoint: Checkpoint, tokens: Sequence[str],
               earlier_tokens: Sequence[str]) -> WarmStart:
    """Copy into `model` what `checkpoint` holds for it (see the module's docstring)."""
    new_rows, old_rows = token_rows(tokens, earlier_tokens)
    copied, by_token, fresh = [], [], []
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            earlier = checkpoint.model_state.get(name)
            if earlier is not None and earlier.shape == tensor.shape:
                tensor.copy_(earlier)
                copied.append(name)
            elif earlier is not None and earlier.dim() == tensor.dim() and \
                    earlier.shape[1:] == tensor.shape[1:] and \
                    (tensor.shape[0], earlier.shape[0]) == (len(tokens), len(earlier_tokens)):
                tensor[new_rows] = earlier[old_rows].to(tensor.dtype)
                by_token.append(name)
            else:
                fresh.append(name)
    if not copied and not by_token:
        raise AttnkitError(f"train.init_from {checkpoint.path}: none of its tensors fits this "
                           f"model (another pipeline or architecture?)")
    return WarmStart(tuple(copied), tuple(by_token), tuple(fresh), len(new_rows))
