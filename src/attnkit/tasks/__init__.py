"""One module per pipeline: builds data and model from a recipe, trains, evaluates, predicts."""
