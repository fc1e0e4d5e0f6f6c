"""Image to sequence: rendered MOSES molecules -> SMILES, or a user's images and texts
(`attnkit train molecules`, `attnkit train img2seq`)."""
