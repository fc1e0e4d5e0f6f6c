"""One package per pipeline (`classify`, `seq2seq`, `img2seq`), each with the same files for
the same roles: `commands` (its CLI), `recipe` (the recipe and the checkpoint meta), `data`,
`training` and `predictor` (load a run, predict, show the attention). Extras are named for what
they are (`stacking`, `compare`, `demo`, `numpy_engine`, `evaluation`). Shared by all:
`arguments` (the options every `train` takes) and `run_checkpoint` (the pipeline's name in a
checkpoint)."""
