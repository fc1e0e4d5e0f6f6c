"""A tiny classification task for trainer tests: two noisy clusters, an MLP with dropout."""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset, DistributedSampler


class Clusters(Dataset):
    def __init__(self, size: int, seed: int) -> None:
        generator = torch.Generator().manual_seed(seed)
        self.labels = torch.randint(0, 2, (size,), generator=generator)
        centres = torch.tensor([[1.0, -1.0, 0.5, 0.0], [-1.0, 1.0, -0.5, 0.0]])
        self.inputs = centres[self.labels] + 0.8 * torch.randn(size, 4, generator=generator)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> dict[str, Tensor]:
        return {"inputs": self.inputs[index], "labels": self.labels[index]}


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 2))


class ClusterTask:
    """The TrainingObjective of the tiny problem: cross-entropy and accuracy."""

    def loss(self, model: nn.Module, batch: dict[str, Tensor]) -> tuple[Tensor, int]:
        logits = model(batch["inputs"])
        return nn.functional.cross_entropy(logits, batch["labels"]), len(batch["labels"])

    def evaluate(self, model: nn.Module, loader) -> dict[str, float]:
        correct = total = 0
        losses = 0.0
        for batch in loader:
            logits = model(batch["inputs"])
            losses += nn.functional.cross_entropy(logits, batch["labels"], reduction="sum").item()
            correct += (logits.argmax(-1) == batch["labels"]).sum().item()
            total += len(batch["labels"])
        return {"loss": losses / total, "accuracy": correct / total}


def loaders(world_size: int = 1, rank: int = 0) -> tuple[DataLoader, DataLoader]:
    train = Clusters(256, seed=1)
    if world_size > 1:
        sampler = DistributedSampler(train, num_replicas=world_size, rank=rank, seed=0)
        train_loader = DataLoader(train, batch_size=16, sampler=sampler)
    else:
        train_loader = DataLoader(train, batch_size=16, shuffle=True)
    return train_loader, DataLoader(Clusters(128, seed=2), batch_size=64)


class ScriptedClock:
    """A clock for time-limit tests: it reads `now`, which only a `ScriptedTask` moves on."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class ScriptedTask(ClusterTask):
    """ClusterTask with a scripted validation metric, `score` (epoch k reports `scores[k - 1]`;
    none when `scores` is empty), that keeps a copy of the model's weights at each evaluation,
    which the trainer runs right after an epoch's last step: `weights[k - 1]` are epoch k's.
    With a `clock`, each training step takes `step_seconds` of it and each evaluation
    `eval_seconds`."""

    def __init__(self, scores: tuple[float, ...] = (), clock: ScriptedClock | None = None,
                 step_seconds: float = 0.0, eval_seconds: float = 0.0) -> None:
        self.scores, self.clock = scores, clock
        self.step_seconds, self.eval_seconds = step_seconds, eval_seconds
        self.weights: list[dict[str, Tensor]] = []

    def loss(self, model: nn.Module, batch: dict[str, Tensor]) -> tuple[Tensor, int]:
        if self.clock is not None:
            self.clock.now += self.step_seconds
        return super().loss(model, batch)

    def evaluate(self, model: nn.Module, loader) -> dict[str, float]:
        self.weights.append({k: v.detach().clone() for k, v in model.state_dict().items()})
        metrics = super().evaluate(model, loader)
        if self.scores:
            metrics["score"] = self.scores[len(self.weights) - 1]
        if self.clock is not None:
            self.clock.now += self.eval_seconds
        return metrics
