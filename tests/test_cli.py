import subprocess
import sys

import pytest

from attnkit.cli import main
from attnkit.engine.train_config import TrainConfig
from attnkit.engine.trainer import Trainer

from .engine.tiny_task import ClusterTask, build_model, loaders


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    train_loader, val_loader = loaders()
    meta = {"task": "tiny", "recipe": {"train": {"lr": 0.01}}, "vocab": ["a", "b", "c"]}
    Trainer(build_model(), ClusterTask(), TrainConfig(epochs=1), folder, meta).fit(
        train_loader, val_loader)
    return folder


def test_info_shows_what_the_checkpoint_holds(run_dir, capsys):
    assert main(["info", str(run_dir)]) == 0
    out = capsys.readouterr().out
    assert "pipeline        tiny" in out
    assert "vocab           3 entries" in out
    assert "parameters      114 in 4 tensors" in out
    assert '"lr": 0.01' in out
    assert "kept as best    epoch 1: lowest val_loss " in out  # TrainConfig's default monitor


@pytest.mark.parametrize("argv, message", [
    (["info", "no/such/run"], "checkpoint not found: no/such/run"),
    (["eval", "no/such/run"], "checkpoint not found"),
    (["predict", "RUN"], "checkpoint not found: RUN"),
])
def test_user_mistakes_are_one_line_and_exit_1(argv, message, capsys):
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and "Traceback" not in err
    assert err.count("\n") == 1


def test_checkpoint_of_an_unknown_task_is_refused(run_dir, capsys):
    assert main(["eval", str(run_dir)]) == 1
    assert "task 'tiny'" in capsys.readouterr().err


def test_not_a_checkpoint(tmp_path, capsys):
    fake = tmp_path / "model.safetensors"
    fake.write_text("hello")
    assert main(["info", str(fake)]) == 1
    assert "not a readable attnkit checkpoint" in capsys.readouterr().err


def test_console_script_help_and_exit_codes():
    ok = subprocess.run([sys.executable, "-m", "attnkit.cli", "--help"], capture_output=True,
                        text=True)
    assert ok.returncode == 0 and "train" in ok.stdout and "predict" in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "attnkit.cli", "info", "missing.safetensors"],
                         capture_output=True, text=True)
    assert bad.returncode == 1 and bad.stderr.strip() == "error: checkpoint not found: " \
        "missing.safetensors (shipped models: molecules, dates, imdb, molecules_mix, " \
        "imdb_transformer, multi30k)"


@pytest.mark.parametrize("verb", ["predict", "eval"])
def test_help_of_the_commands_that_read_a_run_exits_0(verb, capsys):
    with pytest.raises(SystemExit, match=r"^0$") as stop:
        main([verb, "--help"])
    assert stop.value.code == 0 and "options depend on" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["train", "dates", "--bogus"], "unrecognized arguments: --bogus"),
    (["train", "dates", "--model", "big"], "argument --model: invalid choice: 'big'"),
    (["nonsense"], "invalid choice: 'nonsense'"),
])
def test_usage_errors_are_one_line_and_exit_1(argv, message, capsys):
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


class ClosedPipe:
    """Standard output whose reader has gone (`attnkit ... | head`)."""

    def write(self, text):
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self):
        raise BrokenPipeError(32, "Broken pipe")


def test_output_into_a_closed_pipe_stops_quietly(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert main(["models"]) == 1
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["predict", "imdb", "a fine film"],
                                  ["translate", "dates", "1/2/2003", "--no-text-heatmap"]])
def test_a_model_runs_on_one_torch_thread_unless_asked(argv, capsys):
    """Inference defaults to one torch thread (issue #26: two threads beside one busy process
    read half as fast as one); `--threads N` asks for more."""
    import torch

    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        assert main(argv) == 0 and torch.get_num_threads() == 1
        assert main([*argv, "--threads", "2"]) == 0 and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
    capsys.readouterr()
