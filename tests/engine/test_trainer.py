import json
import time

import pytest
import torch

from attnkit.engine.seeding import seed_everything
from attnkit.engine.train_config import TrainConfig
from attnkit.engine.trainer import Trainer, learning_rate_factor
from attnkit.errors import AttnkitError
from attnkit.run.checkpoint import load_checkpoint

from .tiny_task import ClusterTask, ScriptedClock, ScriptedTask, build_model, loaders

META = {"task": "tiny", "recipe": {}}


def train(run_dir, epochs, resume=False, task=None, clock=time.perf_counter, **options):
    options = {"monitor": "val_accuracy", "monitor_mode": "max", **options}
    config = TrainConfig(epochs=epochs, lr=0.01, seed=3, **options)
    seed_everything(config.seed)
    model = build_model()
    train_loader, val_loader = loaders()
    trainer = Trainer(model, task or ClusterTask(), config, run_dir, META, clock=clock)
    return trainer.fit(train_loader, val_loader, resume=resume), model


def assert_same_weights(actual, expected):
    assert actual.keys() == expected.keys()
    for name, tensor in expected.items():
        torch.testing.assert_close(actual[name], tensor, rtol=0, atol=0,
                                   msg=lambda message, name=name: f"{name}: {message}")


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


def test_best_holds_the_weights_of_the_best_epoch_and_last_those_of_the_last(tmp_path):
    task = ScriptedTask(scores=(0.5, 0.9, 0.9, 0.7))  # epoch 3 ties epoch 2 on the score
    history, _ = train(tmp_path, epochs=4, task=task, monitor="val_score")
    best = load_checkpoint(tmp_path / "best.safetensors")
    last = load_checkpoint(tmp_path / "last.safetensors")
    # the tie goes to the lower validation loss (engine.monitor), which training made epoch 3's
    assert history[2]["val_loss"] < history[1]["val_loss"]
    assert (best.header["epoch"], last.header["epoch"]) == (3, 4)
    assert best.header["trainer"]["kept"]["why"].startswith(
        "val_score 0.9 tied with epoch 2; lower val_loss")
    assert_same_weights(best.model_state, task.weights[2])
    assert_same_weights(last.model_state, task.weights[3])
    assert not torch.equal(task.weights[1]["0.weight"], task.weights[2]["0.weight"])


@pytest.mark.parametrize(("patience", "mode", "scores", "epochs_run"), [
    # the tie of epoch 3 is the first epoch without improvement
    (1, "max", (0.5, 0.6, 0.6, 0.9, 0.9), 3),
    (1, "min", (0.5, 0.4, 0.4, 0.1, 0.1), 3),
    # epoch 2 is worse, epoch 3 better (the count starts again), epochs 4 (worse), 5 (a tie)
    (2, "max", (0.5, 0.4, 0.6, 0.5, 0.6, 0.9, 0.9, 0.9), 5),
    (2, "min", (0.5, 0.6, 0.4, 0.5, 0.4, 0.1, 0.1, 0.1), 5),
    (0, "max", (0.5, 0.4, 0.4, 0.4, 0.4), 5),  # 0: never stops early
])
def test_early_stopping_stops_at_the_epoch_that_exhausts_patience(tmp_path, patience, mode,
                                                                   scores, epochs_run):
    """The rule (`MetricMonitor`): only a strictly better value is an improvement; the run
    stops after the epoch that makes `patience` epochs in a row without one."""
    history, _ = train(tmp_path, epochs=len(scores), task=ScriptedTask(scores=scores),
                       monitor="val_score", monitor_mode=mode, early_stopping_patience=patience)
    assert [r["epoch"] for r in history] == list(range(1, epochs_run + 1))
    assert [r["val_score"] for r in history] == list(scores[:epochs_run])
    assert load_checkpoint(tmp_path / "last.safetensors").header["epoch"] == epochs_run


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
    with pytest.raises(AttnkitError, match=r"last\.safetensors: checkpoint weights do not fit "
                       r"the model: .*Missing key\(s\) in state_dict: \"2\.weight\"") as error:
        trainer.fit(train_loader, val_loader, resume=True)
    assert "\n" not in str(error.value)


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


@pytest.mark.parametrize(("seconds", "epochs_logged"), [
    (30, [1, 1.875]),  # inside epoch 2, after its batch 14 of 16
    (32, [1, 2]),  # at the end of epoch 2
])
def test_time_limit_stops_at_the_step_that_reaches_it(tmp_path, seconds, epochs_logged):
    """Each step takes one second of the scripted clock (16 steps an epoch)."""
    clock = ScriptedClock()
    task = ScriptedTask(clock=clock, step_seconds=1.0)
    history, _ = train(tmp_path, epochs=4, task=task, clock=clock,
                       time_limit_minutes=seconds / 60)
    assert [r["epoch"] for r in history] == epochs_logged
    last = load_checkpoint(tmp_path / "last.safetensors")
    assert last.header["trainer"]["step"] == seconds
    assert_same_weights(last.model_state, task.weights[-1])


def test_evaluation_time_does_not_count_toward_the_time_limit(tmp_path):
    clock = ScriptedClock()
    task = ScriptedTask(clock=clock, step_seconds=1.0, eval_seconds=1000.0)
    history, _ = train(tmp_path, epochs=3, task=task, clock=clock, time_limit_minutes=0.5)
    assert [(r["epoch"], r["train_seconds"]) for r in history] == [(1, 16.0), (1.875, 14.0)]
    trainer_state = load_checkpoint(tmp_path / "last.safetensors").header["trainer"]
    assert (trainer_state["step"], trainer_state["train_seconds"]) == (30, 30.0)


def test_a_resumed_run_gets_a_fresh_time_budget(tmp_path):
    """Each step takes one second: a 5-second limit stops after 5 steps, and a resume with the
    same limit trains 5 more; the run's train_seconds counts both."""
    for resume, steps in ((False, 5), (True, 10)):
        clock = ScriptedClock()  # a new process: its clock starts anywhere
        train(tmp_path, epochs=3, resume=resume, task=ScriptedTask(clock=clock, step_seconds=1.0),
              clock=clock, time_limit_minutes=5 / 60)
        trainer_state = load_checkpoint(tmp_path / "last.safetensors").header["trainer"]
        assert (trainer_state["step"], trainer_state["train_seconds"]) == (steps, float(steps))


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
