"""Datasets, tokenisers, vocabularies, batching and generators; never imports models."""
