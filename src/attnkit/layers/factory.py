"""Build an attention module by name, as recipes name them."""

from attnkit.errors import AttnkitError
from attnkit.layers.additive import AdditiveAttention
from attnkit.layers.attention import Attention
from attnkit.layers.luong import ConcatAttention, DotAttention, GeneralAttention
from attnkit.layers.multihead import MultiHeadAttention
from attnkit.layers.scaled_dot import ScaledDotAttention

ATTENTION_KINDS = ("additive", "bahdanau", "dot", "general", "concat", "scaled_dot", "multihead")


def build_attention(
    kind: str, query_size: int, key_size: int, units: int, num_heads: int = 4
) -> Attention:
    """Return the attention called `kind` (one of ATTENTION_KINDS; `bahdanau` = `additive`).

    `units` is the attention size A of additive and concat attention and the total projection
    size of multi-head attention; `num_heads` is used by multi-head attention only. Every kind
    gives a context of the key size when values are the keys. Raises AttnkitError for an unknown
    kind, for dot / scaled_dot with query_size != key_size and for bad sizes.
    """
    if kind not in ATTENTION_KINDS:
        raise AttnkitError(
            f"unknown attention kind {kind!r}; choose one of: {', '.join(ATTENTION_KINDS)}"
        )
    for name, size in (("query_size", query_size), ("key_size", key_size), ("units", units)):
        if size < 1:
            raise AttnkitError(f"attention {name} must be a positive integer, got {size}")
    if kind in ("dot", "scaled_dot") and query_size != key_size:
        raise AttnkitError(
            f"{kind} attention needs query_size == key_size, got {query_size} and {key_size}; "
            "use 'general', 'additive' or 'multihead' attention for different sizes"
        )
    if kind in ("additive", "bahdanau"):
        return AdditiveAttention(query_size, key_size, units)
    if kind == "dot":
        return DotAttention()
    if kind == "general":
        return GeneralAttention(query_size, key_size)
    if kind == "concat":
        return ConcatAttention(query_size, key_size, units)
    if kind == "scaled_dot":
        return ScaledDotAttention()
    return MultiHeadAttention(query_size, key_size, num_heads, units)
