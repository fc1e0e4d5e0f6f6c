"""The check both step-decoded pipelines' ONNX tests make: an exported encoder and one-step
decoder (`runtime.onnx_graphs.OnnxStepDecoder`) compute what the torch model computes."""

import torch
from torch.testing import assert_close

TOLERANCE = {"atol": 1e-4, "rtol": 0.0}


def assert_steps_equal(model, decoder, source, lengths, memory_names, start_id, steps=4):
    """The encoder's memory tensors (named `memory_names`, in order) and `steps` decoder steps
    (log-probs, attention, state), both sides fed the torch model's choices, within 1e-4."""
    with torch.no_grad():
        memory = model.encode(source, lengths)
        state = model.initial_state(memory)
    found_memory = decoder.encode(source, lengths)
    found_state = decoder.initial_state(found_memory)
    for name, expected in zip(memory_names, memory, strict=True):
        assert_close(found_memory.tensors[name], expected, **TOLERANCE)
    tokens = torch.full((len(source),), start_id)
    for _ in range(steps):
        with torch.no_grad():
            log_probs, state, weights = model.decode_step(tokens, state, memory)
        found, found_state, found_weights = decoder.decode_step(tokens, found_state,
                                                                found_memory)
        assert_close(found, log_probs, **TOLERANCE)
        assert_close(found_weights, weights, **TOLERANCE)
        for part, expected in zip(found_state, state, strict=True):
            assert_close(part, expected, **TOLERANCE)
        tokens = log_probs.argmax(dim=-1)
