"""Models built from `attnkit.layers`: classifier, seq2seq (plain, peeky, attention), img2seq.

A model's `forward` is teacher-forced scoring; search lives in `attnkit.decoding`.
"""

from attnkit.models.classifier import AttentionClassifier, ClassifierConfig

__all__ = ["AttentionClassifier", "ClassifierConfig"]
