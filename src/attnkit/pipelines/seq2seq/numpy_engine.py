"""Glue between the NumPy engine and the seq2seq pipeline: `attnkit train dates --engine numpy`
(the book's models, and `--model transformer`).

Checkpoints always hold the torch state_dict names and layouts (`numpy_ref.torch_layout`,
`numpy_ref.transformer_layout`), so a NumPy-trained run is loaded, evaluated and decoded by the
torch pipeline unchanged, and a torch run loads into NumPy. A NumPy run starts from the torch
engine's initial weights and follows the torch Trainer's data order, Adam, clipping and
schedule, so the two engines' curves agree.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from attnkit.data.pair_vocabulary import PairVocabulary
from attnkit.engine.run_recorder import RunRecorder
from attnkit.engine.sequence_metrics import sequence_scores
from attnkit.engine.train_config import TrainConfig
from attnkit.engine.trainer import learning_rate_factor, start_epoch
from attnkit.errors import AttnkitError
from attnkit.models.seq2seq import Seq2seqConfig
from attnkit.models.seq2seq_kinds import build_seq2seq_model
from attnkit.numpy_ref import (
    AttentionSeq2seq,
    PeekySeq2seq,
    Seq2seq,
    TransformerSeq2Seq,
    torch_layout,
    transformer_layout,
)
from attnkit.numpy_ref.data_parallel import DataParallelTrainer
from attnkit.numpy_ref.optimizers import Adam
from attnkit.pipelines.seq2seq.recipe import Seq2seqRecipe
from attnkit.pipelines.seq2seq.training import (
    SOURCES,
    Scores,
    raw_references,
    search_length,
    validation_scores,
)
from attnkit.pipelines.sequence_training import Batch, SequenceTraining
from attnkit.progress import progress_bar
from attnkit.run.checkpoint import save_checkpoint

NUMPY_MODELS = {"attention": AttentionSeq2seq, "peeky": PeekySeq2seq, "plain": Seq2seq}
NumpyModel = Seq2seq | PeekySeq2seq | AttentionSeq2seq | TransformerSeq2Seq


def check_numpy_supports(config: Seq2seqConfig, train: TrainConfig | None = None) -> None:
    """The NumPy engine implements the book's models (one unidirectional layer, dot attention)
    and the Transformer, without dropout or label smoothing. Anything else is an AttnkitError
    naming the recipe key."""
    if config.kind == "transformer":
        dropout = config.transformer.dropout
        unsupported = [(dropout > 0, f"model.transformer.dropout={dropout} (no dropout)")]
    else:
        unsupported = [
            (config.num_layers != 1, f"model.num_layers={config.num_layers} (only 1)"),
            (config.bidirectional, "model.bidirectional=true (only a unidirectional encoder)"),
            (config.dropout > 0, f"model.dropout={config.dropout} (no dropout)"),
            (config.kind == "attention" and config.attention != "dot",
             f"model.attention={config.attention!r} (only 'dot')"),
            (config.kind not in NUMPY_MODELS, f"model.kind={config.kind!r}"),
        ]
    smoothing = getattr(train, "label_smoothing", 0.0)
    unsupported.append((smoothing > 0, f"train.label_smoothing={smoothing} (none)"))
    reasons = [reason for failed, reason in unsupported if failed]
    if reasons:
        raise AttnkitError(f"the NumPy engine does not support {', '.join(reasons)}; "
                           "use --engine torch or change the recipe")


def single_blas_thread() -> bool:
    """Whether OpenBLAS is limited to one thread (OPENBLAS_NUM_THREADS=1): then the engine uses
    the other cores itself, else threaded OpenBLAS does and more threads would compete."""
    return os.environ.get("OPENBLAS_NUM_THREADS") == "1" and (os.cpu_count() or 1) > 1


def row_workers() -> int:
    """Threads for the LSTM time loops of inference: 2 with a single BLAS thread, else 1."""
    return 2 if single_blas_thread() else 1


def training_processes() -> int:
    """Processes sharing each training batch (`numpy_ref.data_parallel`): 2 with a single
    BLAS thread where processes can be forked, else 1."""
    return 2 if single_blas_thread() and "fork" in multiprocessing.get_all_start_methods() else 1


def build_numpy_model(vocab_size: int, config: Seq2seqConfig, seed: int = 0,
                      dtype: type = np.float32, workers: int | None = None,
                      target_vocab_size: int | None = None,
                      shared_vocabulary: bool = True) -> NumpyModel:
    """workers: LSTM row threads (default `row_workers()`); the Transformer may have a
    `target_vocab_size` of its own (default `vocab_size`) and tie its source embedding to the
    target's with `shared_vocabulary` (as `models.seq2seq_kinds.build_seq2seq_model`)."""
    check_numpy_supports(config)
    if config.kind == "transformer":
        sizes = config.transformer
        return TransformerSeq2Seq(
            vocab_size, target_vocab_size or vocab_size, sizes.model_size, sizes.heads,
            sizes.ff_size, sizes.encoder_layers, sizes.decoder_layers, sizes.max_positions,
            sizes.tie_embeddings, shared_vocabulary, seed, dtype)
    model_class = NUMPY_MODELS[config.kind]
    return model_class(vocab_size, config.embedding_size, config.hidden_size, seed, dtype,
                       workers=row_workers() if workers is None else workers)


def initial_numpy_model(vocabulary: PairVocabulary, config: Seq2seqConfig, seed: int,
                        workers: int | None = None) -> NumpyModel:
    """The NumPy model holding exactly the weights the torch engine starts from for this seed
    (`train_torch` seeds torch and builds the model the same way), so that runs of the two
    engines can be compared epoch by epoch."""
    sizes = (len(vocabulary.source), len(vocabulary.target))
    model = build_numpy_model(sizes[0], config, seed=seed, workers=workers,
                              target_vocab_size=sizes[1], shared_vocabulary=vocabulary.shared)
    torch.manual_seed(seed)
    torch_model = build_seq2seq_model(config, *sizes, vocabulary.shared)
    model.load_state_dict(torch_to_numpy_state(torch_model.state_dict(), model))
    return model


def weight_layout(model: NumpyModel) -> Any:
    """The module that maps this model's weights to and from torch's."""
    return transformer_layout if isinstance(model, TransformerSeq2Seq) else torch_layout


def numpy_to_torch_state(model: NumpyModel) -> dict[str, Tensor]:
    """NumPy parameters -> the torch model's state_dict (names, layouts, two LSTM biases)."""
    arrays = weight_layout(model).to_torch_layout(model.state_dict())
    return {k: torch.from_numpy(v) for k, v in arrays.items()}


def torch_to_numpy_state(state: dict[str, Tensor], model: NumpyModel) -> dict[str, np.ndarray]:
    """A torch state_dict -> arrays under the NumPy model's names, in its dtype."""
    arrays = {k: v.detach().cpu().numpy() for k, v in state.items()}
    return weight_layout(model).from_torch_layout(arrays, list(model.state_dict()),
                                                  model.params[0].dtype)


def numpy_batches(loader: Iterable[dict[str, Tensor]], epoch: int) -> Iterable[dict]:
    """The loader's batches as arrays, after telling a bucketing sampler the epoch."""
    start_epoch(loader, epoch)
    return ({name: value.numpy() for name, value in batch.items()} for batch in loader)


class TorchView:
    """A NumPy seq2seq model as the torch pipeline calls one: on a batch's tensors, it returns
    logits (B, T, V) as a tensor, and its greedy outputs as token id lists."""

    def __init__(self, model: NumpyModel) -> None:
        self.model = model

    def __call__(self, source: Tensor, source_lengths: Tensor, target_in: Tensor) -> Tensor:
        return torch.from_numpy(self.model.forward(source.numpy(), source_lengths.numpy(),
                                                   target_in.numpy()))

    def greedy(self, batch: dict[str, Tensor], start_id: int, end_id: int,
               max_length: int) -> list[list[int]]:
        found = self.model.generate(batch["source"].numpy(), batch["source_lengths"].numpy(),
                                    start_id, max_length, end_id)
        return found.tolist()


def numpy_evaluation(vocab: Any, max_length: int, scores: Scores = sequence_scores,
                     references: Callable[[Batch], list[str]] | None = None
                     ) -> SequenceTraining:
    """The torch pipeline's held-out metrics (`seq2seq_training`) for a NumPy model seen
    through `TorchView`: loss per target token and the `scores` (default: exact match and
    character accuracy) of greedy outputs of at most `max_length` tokens. `vocab`: the
    target side's (start_id, end_id, decode)."""

    def outputs(model: TorchView, batch: dict[str, Tensor]) -> list[list[int]]:
        return model.greedy(batch, vocab.start_id, vocab.end_id, max_length)

    return SequenceTraining(SOURCES, outputs, vocab.decode, scores, references)


def build_optimizer(config: TrainConfig) -> Adam:
    if config.optimizer != "adam" or config.weight_decay:
        raise AttnkitError("the NumPy engine trains with Adam without weight decay: set "
                           "train.optimizer=adam and train.weight_decay=0")
    return Adam(lr=config.lr)


def learning_rate_schedule(config: TrainConfig, steps_per_epoch: int) -> Callable[[int], float]:
    """lr at each step, with the torch Trainer's warm-up and decay (`learning_rate_factor`)."""
    total = config.epochs * steps_per_epoch
    return lambda step: config.lr * learning_rate_factor(step, total, config.schedule,
                                                         config.warmup_steps)


def train_numpy(recipe: Seq2seqRecipe, vocabulary: PairVocabulary,
                train_loader: Iterable[dict[str, Tensor]],
                val_loader: Iterable[dict[str, Tensor]] | None, run_dir: Path,
                meta: dict[str, Any], val_targets: list[str] | None = None,
                show_progress: bool = True) -> list[dict[str, float]]:
    """Train the recipe's model with the NumPy engine; the run folder and checkpoints are the
    torch Trainer's (`last`/`best.safetensors` with torch names, `metrics.jsonl`, `curves.png`).

    The loaders yield the torch pipeline's batch dicts (right-padded sources, reversed for the
    book's models); they are turned into arrays batch by batch. meta: the checkpoint meta
    ({"task", "recipe", "vocab", ...}), stored unchanged; val_targets: the validation texts
    outputs are scored against (default: the decoded targets). Uses train.epochs, lr,
    schedule, warmup_steps, grad_clip, seed, monitor, monitor_mode, early_stopping_patience,
    keep_last; train.device is ignored (NumPy runs on the CPU). Starts from the torch engine's
    initial weights. -> the per-epoch records.
    """
    model_config, train_config = recipe.model, recipe.train
    check_numpy_supports(model_config, train_config)
    processes = training_processes()
    model = initial_numpy_model(vocabulary, model_config, train_config.seed,
                                workers=1 if processes > 1 else None)
    optimizer = build_optimizer(train_config)
    trainer = DataParallelTrainer(
        model, optimizer, train_config.grad_clip, vocabulary.target.pad_id,
        progress=_progress_bar(train_loader) if show_progress else _no_bar,
        learning_rate=learning_rate_schedule(train_config, len(train_loader)),
        processes=processes)

    def write_checkpoint(path: Path, header: dict[str, Any]) -> None:
        save_checkpoint(path, numpy_to_torch_state(model), {**header, "rng": {}})

    recorder = RunRecorder(run_dir, meta, train_config, write_checkpoint)
    evaluation = numpy_evaluation(vocabulary.target, search_length(meta),
                                  validation_scores(recipe),
                                  None if val_targets is None else raw_references(val_targets))

    def evaluate(trained: NumpyModel) -> dict[str, float]:
        return evaluation.evaluate(TorchView(trained), val_loader)

    trainer.fit(train_config.epochs, lambda epoch: numpy_batches(train_loader, epoch),
                evaluate if val_loader is not None else None,
                lambda record: recorder.end_epoch(record, {"engine": "numpy"}))
    recorder.finish()
    return recorder.history


def _no_bar(batches: Iterable) -> Iterable:
    return batches


def _progress_bar(loader: Iterable):
    total = len(loader) if hasattr(loader, "__len__") else None
    return lambda batches: progress_bar(batches, total=total, desc="numpy epoch")


def load_numpy_model(checkpoint: Any, model_config: Seq2seqConfig,
                     dtype: type = np.float32) -> NumpyModel:
    """A NumPy model holding a checkpoint's weights (`attnkit.run.checkpoint.Checkpoint`,
    from either engine). Its vocabulary sizes are read off the embeddings."""
    state = checkpoint.model_state
    if model_config.kind == "transformer":
        target_size = state["decoder.embedding.weight"].shape[0]
        source = state.get("source_embedding.weight")  # absent: tied to the target's table
        model = build_numpy_model(target_size if source is None else source.shape[0],
                                  model_config, dtype=dtype, target_vocab_size=target_size,
                                  shared_vocabulary=source is None)
        model.load_state_dict(torch_to_numpy_state(state, model))
        return model
    vocab_size = state["encoder.embedding.weight"].shape[0]
    model = build_numpy_model(vocab_size, model_config, dtype=dtype)
    model.load_state_dict(torch_to_numpy_state(checkpoint.model_state, model))
    return model
