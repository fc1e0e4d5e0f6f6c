import json

import pytest
import torch

from attnkit.engine import TrainConfig, Trainer, load_checkpoint
from attnkit.engine.seeding import seed_everything
from attnkit.engine.trainer import learning_rate_factor
from attnkit.errors import AttnkitError

from .tiny_task import ClusterTask, build_model, loaders

META = {"task": "tiny", "recipe": {}}


def train(run_dir, epochs, resume=False, **options):
    config = TrainConfig(epochs=epochs, lr=0.01, seed=3, monitor="val_accuracy",
                         monitor_mode="max", **options)
    seed_everything(config.seed)
    model = build_model()
    train_loader, val_loader = loaders()
    trainer = Trainer(model, ClusterTask(), config, run_dir, META)
    return trainer.fit(train_loader, val_loader, resume=resume), model


def test_trains_and_writes_the_run_folder(tmp_path):
    history, _ = train(tmp_path, epochs=3)
    assert history[-1]["val_accuracy"] > 0.85
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    for name in ("last.safetensors", "best.safetensors", "metrics.jsonl", "curves.png"):
        assert (tmp_path / name).is_file(), name
    logged = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in logged] == [1, 2, 3]
    assert load_checkpoint(tmp_path / "last.safetensors").header["epoch"] == 3


def test_resume_after_one_epoch_ends_like_an_uninterrupted_run(tmp_path):
    full, full_model = train(tmp_path / "full", epochs=3)
    train(tmp_path / "cut", epochs=1)
    resumed, resumed_model = train(tmp_path / "cut", epochs=3, resume=True)
    assert [r["epoch"] for r in resumed] == [1, 2, 3]
    for a, b in zip(full, resumed, strict=True):
        assert a["train_loss"] == pytest.approx(b["train_loss"], abs=1e-7)
        assert a["val_loss"] == pytest.approx(b["val_loss"], abs=1e-7)
    for a, b in zip(full_model.state_dict().values(), resumed_model.state_dict().values(),
                    strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_best_checkpoint_holds_the_best_monitored_epoch(tmp_path):
    history, _ = train(tmp_path, epochs=4)
    best = load_checkpoint(tmp_path / "best.safetensors").header
    assert best["metrics"]["val_accuracy"] == max(r["val_accuracy"] for r in history)


def test_early_stopping_stops_after_patience(tmp_path):
    history, _ = train(tmp_path, epochs=30, early_stopping_patience=1)
    assert len(history) < 30
    assert history[-1]["val_accuracy"] <= max(r["val_accuracy"] for r in history[:-1])


def test_unknown_monitor_is_a_clear_error(tmp_path):
    with pytest.raises(AttnkitError, match="val_accuracy"):
        config = TrainConfig(epochs=1, monitor="val_bleu")
        train_loader, val_loader = loaders()
        Trainer(build_model(), ClusterTask(), config, tmp_path, META).fit(train_loader, val_loader)


def test_divergence_is_reported_not_trained_through(tmp_path):
    class Exploding(ClusterTask):
        def loss(self, model, batch):
            loss, n = super().loss(model, batch)
            return loss * float("nan"), n

    train_loader, val_loader = loaders()
    run_dir = tmp_path / "run"
    trainer = Trainer(build_model(), Exploding(), TrainConfig(epochs=1), run_dir, META)
    with pytest.raises(AttnkitError, match="diverged"):
        trainer.fit(train_loader, val_loader)
    assert not run_dir.exists()  # a failed run leaves no folder, not even its recipe


def test_the_recipe_is_written_with_each_checkpoint(tmp_path):
    meta = {"task": "tiny", "recipe": {"train": {"epochs": 1}}}
    train_loader, val_loader = loaders()
    Trainer(build_model(), ClusterTask(), TrainConfig(epochs=1), tmp_path, meta).fit(
        train_loader, val_loader)
    assert (tmp_path / "recipe.yaml").read_text() == "train:\n  epochs: 1\n"
    meta["recipe"]["train"]["epochs"] = 2  # `--resume --set train.epochs=2`
    Trainer(build_model(), ClusterTask(), TrainConfig(epochs=2), tmp_path, meta).fit(
        train_loader, val_loader, resume=True)
    assert (tmp_path / "recipe.yaml").read_text() == "train:\n  epochs: 2\n"


def test_resuming_with_another_model_is_one_clear_error(tmp_path):
    train(tmp_path, epochs=1)
    other = torch.nn.Sequential(torch.nn.Linear(4, 32), torch.nn.ReLU(), torch.nn.Linear(32, 2))
    train_loader, val_loader = loaders()
    trainer = Trainer(other, ClusterTask(), TrainConfig(epochs=2), tmp_path, META)
    with pytest.raises(AttnkitError) as error:
        trainer.fit(train_loader, val_loader, resume=True)
    assert "do not fit the model" in str(error.value) and "\n" not in str(error.value)


def test_learning_rate_schedules():
    assert learning_rate_factor(0, 100, "none", 10) == pytest.approx(0.1)
    assert learning_rate_factor(50, 100, "none", 0) == 1.0
    assert learning_rate_factor(0, 100, "cosine", 0) == pytest.approx(1.0)
    assert learning_rate_factor(50, 100, "cosine", 0) == pytest.approx(0.5)
    assert learning_rate_factor(100, 100, "linear", 0) == pytest.approx(0.0)


def test_time_limit_cuts_the_epoch_says_so_and_records_where(tmp_path, capsys):
    history, _ = train(tmp_path, epochs=5, time_limit_minutes=1e-9)
    assert [record["epoch"] for record in history] == [1 / 16]  # one batch of 16
    assert "stopped early" in capsys.readouterr().out
    assert (tmp_path / "last.safetensors").is_file() and (tmp_path / "curves.png").is_file()
    header = load_checkpoint(tmp_path / "last.safetensors").header
    assert header["epoch"] == 0 and header["trainer"]["step"] == 1
    assert header["trainer"]["position"]["batches"] == 1
    assert header["trainer"]["position"]["total"] == 16


def test_a_run_cut_by_the_time_limit_resumes_exactly(tmp_path):
    full, full_model = train(tmp_path / "full", epochs=3)
    cut = tmp_path / "cut"
    train(cut, epochs=3, time_limit_minutes=1e-9)
    for _ in range(2):  # each resume has a fresh budget: here one batch more each time
        train(cut, epochs=3, resume=True, time_limit_minutes=1e-9)
    assert load_checkpoint(cut / "last.safetensors").header["trainer"]["step"] == 3
    resumed, resumed_model = train(cut, epochs=3, resume=True)
    assert [r["epoch"] for r in resumed] == [1, 2, 3]
    for a, b in zip(full, resumed, strict=True):
        assert (a["train_loss"], a["val_loss"]) == (b["train_loss"], b["val_loss"])
    for a, b in zip(full_model.state_dict().values(), resumed_model.state_dict().values(),
                    strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    logged = [json.loads(line) for line in (cut / "metrics.jsonl").read_text().splitlines()]
    assert [r["val_loss"] for r in logged] == [r["val_loss"] for r in full]


def test_a_resumed_run_gets_a_fresh_time_budget(tmp_path, monkeypatch):
    """Each clock reading moves one second on: a 5-second limit stops after a few batches,
    and a resume with the same limit trains as many more, not one."""
    clock = iter(range(10**6))
    monkeypatch.setattr("attnkit.engine.trainer.time.perf_counter", lambda: float(next(clock)))
    train(tmp_path, epochs=3, time_limit_minutes=5 / 60)
    first = load_checkpoint(tmp_path / "last.safetensors").header["trainer"]["step"]
    train(tmp_path, epochs=3, resume=True, time_limit_minutes=5 / 60)
    second = load_checkpoint(tmp_path / "last.safetensors").header["trainer"]["step"]
    assert first >= 3 and second - first == first


def test_a_cut_epoch_cannot_continue_with_other_batches(tmp_path):
    train(tmp_path, epochs=3, time_limit_minutes=1e-9)
    train_loader, val_loader = loaders()
    fewer = torch.utils.data.DataLoader(train_loader.dataset, batch_size=32, shuffle=True)
    trainer = Trainer(build_model(), ClusterTask(), TrainConfig(epochs=3, lr=0.01), tmp_path,
                      META)
    with pytest.raises(AttnkitError, match="after batch 1 of 16, but an epoch now has 8"):
        trainer.fit(fewer, val_loader, resume=True)


def test_bad_train_config_values_fail_early():
    with pytest.raises(ValueError, match="threads"):
        TrainConfig(threads=-1)
    with pytest.raises(ValueError, match="positive"):
        TrainConfig(lr=0)
