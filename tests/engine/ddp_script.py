"""Run by test_distributed under `torchrun --nproc_per_node 2`: trains the tiny task with DDP
and saves each rank's final weights, so the test can compare them."""

import sys
from pathlib import Path

from safetensors.torch import save_file
from tiny_task import ClusterTask, build_model, loaders

from attnkit.engine.distributed import init_distributed
from attnkit.engine.seeding import seed_everything
from attnkit.engine.train_config import TrainConfig
from attnkit.engine.trainer import Trainer

out = Path(sys.argv[1])
context = init_distributed()
config = TrainConfig(epochs=3, lr=0.01, seed=5, device="cpu", monitor="val_accuracy",
                     monitor_mode="max")
seed_everything(config.seed + context.rank)  # different init per rank: DDP must broadcast rank 0's
model = build_model()
train_loader, val_loader = loaders(context.world_size, context.rank)
history = Trainer(model, ClusterTask(), config, out / "run", {"task": "tiny"}, context).fit(
    train_loader, val_loader)
save_file({k: v.contiguous() for k, v in model.state_dict().items()},
          str(out / f"rank{context.rank}.safetensors"),
          metadata={"accuracy": str(history[-1]["val_accuracy"]),
                    "batches": str(len(train_loader))})
