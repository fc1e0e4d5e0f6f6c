"""The shared contract of every attention module: shapes in, `(context, weights)` out.

Letters: B batch, T queries (target positions), S keys (source positions), H query size,
K key size, Dv value size.
"""

from torch import Tensor, nn

from attnkit.layers.masks import masked_softmax


class Attention(nn.Module):
    """Base class: turns (B, H) or (B, T, H) queries into the 3-D case and back.

    A subclass either implements `score` (query (B, T, H), keys (B, S, K) -> scores (B, T, S));
    the base then applies the masked softmax and the weighted sum), or overrides `attend`.
    """

    def forward(
        self,
        query: Tensor,
        keys: Tensor,
        values: Tensor | None = None,
        mask: Tensor | None = None,
    ) -> tuple[Tensor, Tensor]:
        """query (B, H) | (B, T, H), keys (B, S, K), values (B, S, Dv) | None (None: values = keys),
        mask (B, S) bool, True = attend | None -> context (B, Dv) | (B, T, Dv),
        weights (B, S) | (B, T, S): probabilities over the keys, exactly 0 at masked keys and
        all 0 in a row whose keys are all masked (its context is then 0).
        """
        B, S, K = keys.shape
        if query.dim() not in (2, 3):
            raise ValueError(f"query must be (B, H) or (B, T, H), got {tuple(query.shape)}")
        values = keys if values is None else values
        if values.shape[:2] != (B, S):
            raise ValueError(f"values {tuple(values.shape)} do not match keys {tuple(keys.shape)}")
        if mask is not None and mask.shape != (B, S):
            raise ValueError(f"mask must have shape (B, S) = {(B, S)}, got {tuple(mask.shape)}")
        single_step = query.dim() == 2
        queries = query.unsqueeze(1) if single_step else query
        context, weights = self.attend(queries, keys, values, mask)
        if single_step:
            return context.squeeze(1), weights.squeeze(-2)
        return context, weights

    def attend(
        self, query: Tensor, keys: Tensor, values: Tensor, mask: Tensor | None
    ) -> tuple[Tensor, Tensor]:
        """query (B, T, H), keys (B, S, K), values (B, S, Dv), mask (B, S) | None
        -> context (B, T, Dv), weights (B, T, S)."""
        scores = self.score(query, keys)
        weights = masked_softmax(scores, None if mask is None else mask.unsqueeze(1))
        return weights @ values, weights

    def score(self, query: Tensor, keys: Tensor) -> Tensor:
        """query (B, T, H), keys (B, S, K) -> unnormalised scores (B, T, S)."""
        raise NotImplementedError(f"{type(self).__name__} must implement score or attend")
