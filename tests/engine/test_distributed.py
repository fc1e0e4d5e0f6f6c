import subprocess
import sys
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import load_file

SCRIPT = Path(__file__).with_name("ddp_script.py")


def test_torchrun_two_cpu_ranks_train_identical_weights(tmp_path):
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone",
               "--nproc_per_node", "2", str(SCRIPT), str(tmp_path)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    rank0 = load_file(str(tmp_path / "rank0.safetensors"))
    rank1 = load_file(str(tmp_path / "rank1.safetensors"))
    for key in rank0:
        torch.testing.assert_close(rank0[key], rank1[key], rtol=0, atol=0)
    with safe_open(str(tmp_path / "rank0.safetensors"), "pt") as handle:
        meta = handle.metadata()
    assert float(meta["accuracy"]) > 0.85
    assert int(meta["batches"]) == 8  # 256 examples / 2 ranks / batch 16: the data was sharded
    written = sorted(p.name for p in (tmp_path / "run").iterdir())
    assert written == ["best.safetensors", "curves.png", "last.safetensors", "metrics.jsonl"]
