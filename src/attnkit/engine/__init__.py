"""Training: the model-agnostic `Trainer` (`engine.trainer`) and its `TrainConfig`
(`engine.train_config`), run bookkeeping, losses, metrics, devices and distributed set-up.
It knows nothing about any one model or pipeline; checkpoint files are `attnkit.run`'s."""
