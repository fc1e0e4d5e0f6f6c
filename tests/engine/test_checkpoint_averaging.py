"""Checkpoint averaging: the mean of known tensors, mismatches refused, and a run that keeps its
last K epochs (train.keep_last) for it."""

import pytest
import torch

from attnkit.engine.checkpoint_averaging import (
    average_checkpoints,
    last_epoch_checkpoints,
    save_averaged_checkpoint,
)
from attnkit.engine.seeding import seed_everything
from attnkit.engine.train_config import TrainConfig
from attnkit.engine.trainer import Trainer
from attnkit.errors import AttnkitError
from attnkit.run.checkpoint import load_checkpoint, save_checkpoint

from .tiny_task import ClusterTask, build_model, loaders

META = {"task": "tiny", "recipe": {}}


def write(path, weight, steps, epoch=1):
    save_checkpoint(path, {"weight": weight, "counter": torch.tensor(steps)},
                    {"meta": META, "epoch": epoch})
    return path


def test_the_mean_of_known_tensors(tmp_path):
    paths = [write(tmp_path / "a.safetensors", torch.tensor([1.0, -2.0]), 10, epoch=4),
             write(tmp_path / "b.safetensors", torch.tensor([2.0, 0.0]), 20, epoch=5),
             write(tmp_path / "c.safetensors", torch.tensor([6.0, 5.0]), 30, epoch=6)]
    averaged = average_checkpoints(paths)
    torch.testing.assert_close(averaged["weight"], torch.tensor([3.0, 1.0]))
    assert averaged["counter"].item() == 30 and averaged["counter"].dtype == torch.int64
    output = save_averaged_checkpoint(paths, tmp_path / "averaged.safetensors")
    loaded = load_checkpoint(output)
    torch.testing.assert_close(loaded.model_state["weight"], torch.tensor([3.0, 1.0]))
    assert loaded.header["averaged"] == {"files": ["a.safetensors", "b.safetensors",
                                                   "c.safetensors"], "epochs": [4, 5, 6]}
    assert loaded.meta == META and loaded.optimizer_state is None


def test_checkpoints_of_other_models_are_refused(tmp_path):
    first = write(tmp_path / "a.safetensors", torch.zeros(2), 1)
    wider = write(tmp_path / "b.safetensors", torch.zeros(3), 1)
    with pytest.raises(AttnkitError, match=r"weight is \(3,\)"):
        average_checkpoints([first, wider])
    save_checkpoint(tmp_path / "c.safetensors", {"other": torch.zeros(2)}, {"meta": META})
    with pytest.raises(AttnkitError, match="only one has"):
        average_checkpoints([first, tmp_path / "c.safetensors"])
    with pytest.raises(AttnkitError, match="no checkpoints"):
        average_checkpoints([])


def test_a_run_keeps_its_last_epochs_to_average(tmp_path):
    config = TrainConfig(epochs=4, lr=0.01, seed=3, keep_last=2, monitor="val_accuracy",
                         monitor_mode="max")
    seed_everything(config.seed)
    trainer = Trainer(build_model(), ClusterTask(), config, tmp_path, META)
    trainer.fit(*loaders())
    kept = last_epoch_checkpoints(tmp_path, 2)
    assert [path.name for path in kept] == ["epoch-3.safetensors", "epoch-4.safetensors"]
    assert sorted(path.name for path in tmp_path.glob("epoch-*")) == [path.name for path in kept]
    last = load_checkpoint(tmp_path / "last.safetensors")
    torch.testing.assert_close(load_checkpoint(kept[1]).model_state, last.model_state)
    states = [load_checkpoint(path).model_state for path in kept]
    averaged = average_checkpoints(kept)
    for name, tensor in averaged.items():
        torch.testing.assert_close(tensor, (states[0][name] + states[1][name]) / 2)
    with pytest.raises(AttnkitError, match="keeps 2 epoch checkpoints.*keep_last >= 3"):
        last_epoch_checkpoints(tmp_path, 3)


def test_keep_last_must_not_be_negative():
    with pytest.raises(ValueError, match="keep_last"):
        TrainConfig(keep_last=-1)
