"""Text classification: IMDB or a labelled CSV/TSV/JSONL file -> BiLSTM + attention classifier,
optionally stacked with an n-gram model (`attnkit train imdb`, `attnkit train classify`)."""
