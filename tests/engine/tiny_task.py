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
    """The TrainingTask of the tiny problem: cross-entropy and accuracy."""

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
