"""Training, checkpoints, devices and distributed set-up; knows nothing about any one model."""

from attnkit.engine.checkpoint import (
           Checkpoint,
           load_checkpoint,
           resolve_checkpoint,
           save_checkpoint,
)
from attnkit.engine.trainer import TrainConfig, Trainer, TrainingTask

__all__ = ["Checkpoint", "Trainer", "TrainConfig", "TrainingTask", "load_checkpoint",
           "resolve_checkpoint", "save_checkpoint"]
