"""Sequence to sequence on characters: generated dates or a user's pairs, on the torch or the NumPy
engine (`attnkit train dates`, `train seq2seq`, `translate`, `compare`, `demo`)."""
