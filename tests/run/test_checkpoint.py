import json
import re
import struct

import pytest
import torch
from safetensors.torch import save_file

from attnkit.errors import AttnkitError
from attnkit.run.checkpoint import (
    FORMAT_VERSION,
    build_checked,
    load_checkpoint,
    load_model_state,
    read_header,
    resolve_checkpoint,
    save_checkpoint,
)


def make_optimizer_state():
    model = torch.nn.Linear(3, 2)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.1)
    model(torch.randn(4, 3)).sum().backward()
    optimizer.step()
    return model, optimizer


def test_round_trip_weights_optimizer_and_header(tmp_path):
    model, optimizer = make_optimizer_state()
    path = tmp_path / "last.safetensors"
    meta = {"task": "t", "recipe": {"a": 1}, "vocab": ["<pad>", "a", "é"]}
    save_checkpoint(path, model.state_dict(), {"meta": meta, "epoch": 2},
                    optimizer.state_dict())
    checkpoint = load_checkpoint(path)
    assert checkpoint.meta == meta and checkpoint.header["epoch"] == 2
    for key, value in model.state_dict().items():
        torch.testing.assert_close(checkpoint.model_state[key], value, rtol=0, atol=0)
    restored = torch.optim.Adam(model.parameters(), lr=0.1)
    restored.load_state_dict(checkpoint.optimizer_state)
    for before, after in zip(optimizer.state.values(), restored.state.values(), strict=True):
        torch.testing.assert_close(before["exp_avg"], after["exp_avg"])
        torch.testing.assert_close(before["step"], after["step"])
    assert restored.param_groups[0]["lr"] == 0.1


def test_written_atomically_no_leftovers(tmp_path):
    model, _ = make_optimizer_state()
    path = tmp_path / "best.safetensors"
    for epoch in range(3):
        save_checkpoint(path, model.state_dict(), {"meta": {"task": "t"}, "epoch": epoch})
    assert [p.name for p in tmp_path.iterdir()] == ["best.safetensors"]
    assert read_header(path)["epoch"] == 2


def test_failed_write_keeps_the_previous_checkpoint(tmp_path):
    model, _ = make_optimizer_state()
    path = tmp_path / "last.safetensors"
    save_checkpoint(path, model.state_dict(), {"meta": {"task": "t"}, "epoch": 1})
    with pytest.raises(TypeError, match="not JSON serializable"):
        save_checkpoint(path, model.state_dict(), {"meta": {"task": "t"}, "bad": object()})
    assert read_header(path)["epoch"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["last.safetensors"]


def test_run_folder_resolves_best_then_last(tmp_path):
    model, _ = make_optimizer_state()
    save_checkpoint(tmp_path / "last.safetensors", model.state_dict(), {"meta": {}})
    assert resolve_checkpoint(tmp_path).name == "last.safetensors"
    save_checkpoint(tmp_path / "best.safetensors", model.state_dict(), {"meta": {}})
    assert resolve_checkpoint(tmp_path).name == "best.safetensors"


@pytest.mark.parametrize("content, message", [
    (b"", "not a readable"),
    (b"\x80\x04\x95 this is a pickle, not safetensors", "not a readable"),
])
def test_corrupt_files_are_clear_errors(tmp_path, content, message):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(content)
    with pytest.raises(AttnkitError, match=message):
        load_checkpoint(path)


def test_foreign_and_future_files_are_refused(tmp_path):
    foreign = tmp_path / "foreign.safetensors"
    save_file({"w": torch.zeros(2)}, str(foreign))
    with pytest.raises(AttnkitError, match="not an attnkit checkpoint"):
        read_header(foreign)
    future = tmp_path / "future.safetensors"
    save_file({"w": torch.zeros(2)}, str(future),
              metadata={"attnkit": json.dumps({"format_version": 99, "meta": {}})})
    with pytest.raises(AttnkitError, match="format 99"):
        read_header(future)
    with pytest.raises(AttnkitError, match="not found"):
        load_checkpoint(tmp_path / "missing.safetensors")
    (tmp_path / "empty").mkdir()
    with pytest.raises(AttnkitError, match="no checkpoint in run folder"):
        resolve_checkpoint(tmp_path / "empty")


def test_mismatched_weights_are_a_clear_error(tmp_path):
    model, _ = make_optimizer_state()
    save_checkpoint(tmp_path / "c.safetensors", model.state_dict(), {"meta": {}})
    with pytest.raises(AttnkitError, match="do not fit"):
        load_model_state(torch.nn.Linear(3, 5), load_checkpoint(tmp_path / "c.safetensors"))


def hostile(tmp_path, header_text, tensors=None):
    """A valid safetensors file whose attnkit header is `header_text`."""
    path = tmp_path / "hostile.safetensors"
    save_file(tensors or {"model.weight": torch.zeros(2, 3)}, path,
              metadata={"attnkit": header_text})
    return path


@pytest.mark.parametrize("header_text, message", [
    ("[1, 2]", "a JSON list, not an object"),
    ('"a string"', "a JSON str, not an object"),
    ("[" * 100_000 + "]" * 100_000, "corrupt attnkit header"),
    ('{"format_version": 1, "meta": {"a": ' + "[" * 100_000 + "]" * 100_000 + "}}",
     "corrupt attnkit header"),
    ('{"format_version": true, "meta": {}}', "checkpoint format True"),
])
def test_hostile_headers_are_one_line(tmp_path, header_text, message):
    with pytest.raises(AttnkitError, match=message):
        read_header(hostile(tmp_path, header_text))


@pytest.mark.parametrize("optimizer", [{}, {"param_groups": 3}, [1], {"param_groups": [],
                                                                       "scalars": {"x": 1}}])
def test_an_optimiser_description_without_its_parts_is_one_line(tmp_path, optimizer):
    header = json.dumps({"format_version": 1, "meta": {"task": "t"}, "optimizer": optimizer})
    with pytest.raises(AttnkitError, match="corrupt optimiser state"):
        load_checkpoint(hostile(tmp_path, header))


def test_a_header_describing_a_huge_model_is_checked_against_the_tensors(tmp_path):
    """hidden_size 200,000 would ask for 640 GB: the model is first built without memory."""
    model = torch.nn.Linear(3, 2)
    save_checkpoint(tmp_path / "c.safetensors", model.state_dict(), {"meta": {}})
    checkpoint = load_checkpoint(tmp_path / "c.safetensors")
    with pytest.raises(AttnkitError, match=r"weight is \(2, 3\) in the file but "
                       r"\(200000, 200000\) in the model"):
        build_checked(lambda: torch.nn.Linear(200_000, 200_000), checkpoint)
    with pytest.raises(AttnkitError, match="the file lacks 0.bias"):
        build_checked(lambda: torch.nn.Sequential(torch.nn.Linear(3, 2)), checkpoint)
    built = build_checked(lambda: torch.nn.Linear(3, 2), checkpoint)
    torch.testing.assert_close(built.weight, model.weight, rtol=0, atol=0)


def saved_linear(tmp_path, name="c.safetensors", drop=(), add=None):
    """A Linear(3, 2) checkpoint with the state keys in `drop` left out and `add` put in."""
    state = {k: v for k, v in torch.nn.Linear(3, 2).state_dict().items() if k not in drop}
    path = tmp_path / name
    save_checkpoint(path, {**state, **(add or {})}, {"meta": {"task": "t"}})
    return path


def load_fails(path, message, load=load_checkpoint):
    """`load(path)` raises exactly AttnkitError, one line naming `path`, then `message`."""
    with pytest.raises(AttnkitError, match=re.escape(str(path)) + ".*" + message) as error:
        load(path)
    assert error.type is AttnkitError and "\n" not in str(error.value)


@pytest.mark.parametrize("damage, message", [
    (lambda raw, n: b"", "not a readable attnkit checkpoint.*header too small"),
    (lambda raw, n: b"attnkit was here\n" * 20, "not a readable attnkit checkpoint"),
    (lambda raw, n: b"PK\x03\x04" + bytes(100), "not a readable attnkit checkpoint"),
    (lambda raw, n: raw[:8] + b"#" + raw[9:], "not a readable attnkit checkpoint.*invalid JSON"),
    (lambda raw, n: struct.pack("<Q", 2**60) + raw[8:], "not a readable.*header too large"),
    (lambda raw, n: raw[:8 + n // 2], "not a readable attnkit checkpoint"),  # cut in the header
    (lambda raw, n: raw[:-4], "not a readable.*incomplete metadata"),  # cut in the tensors
    (lambda raw, n: raw[:8 + n], "not a readable.*incomplete metadata"),  # no tensor bytes
])
def test_a_damaged_file_is_one_error_naming_it(tmp_path, damage, message):
    raw = saved_linear(tmp_path).read_bytes()
    header_length = struct.unpack("<Q", raw[:8])[0]
    path = tmp_path / "damaged.safetensors"
    path.write_bytes(damage(raw, header_length))
    load_fails(path, message)


def test_a_header_without_meta_or_without_attnkit_metadata_is_one_error(tmp_path):
    no_meta = hostile(tmp_path, json.dumps({"format_version": 1, "epoch": 3}))
    load_fails(no_meta, r"has no pipeline description \(meta\)")
    plain = tmp_path / "plain.safetensors"
    save_file({"model.weight": torch.zeros(2, 3)}, plain)
    load_fails(plain, "is a safetensors file but not an attnkit checkpoint")


@pytest.mark.parametrize("drop, add, checked, strict", [
    (("bias",), None, "the file lacks bias", 'Missing key.s. in state_dict: "bias"'),
    ((), {"scale": torch.ones(1)}, "the file has scale, which the model lacks",
     'Unexpected key.s. in state_dict: "scale"'),
])
def test_missing_or_unexpected_weights_are_one_error_naming_the_file(tmp_path, drop, add,
                                                                     checked, strict):
    """Both ways a pipeline loads weights: `build_checked` (predict, eval) and
    `load_model_state` (resuming training)."""
    path = saved_linear(tmp_path, drop=drop, add=add)
    load_fails(path, "do not fit the model: " + checked,
               lambda path: build_checked(lambda: torch.nn.Linear(3, 2), load_checkpoint(path)))
    load_fails(path, "do not fit the model: .*" + strict,
               lambda path: load_model_state(torch.nn.Linear(3, 2), load_checkpoint(path)))


@pytest.mark.parametrize("version, readable", [(FORMAT_VERSION, True),
                                               (FORMAT_VERSION + 1, False), (0, False),
                                               (-1, False), (1.0, False), ("1", False)])
def test_the_format_version_is_read_up_to_this_attnkits_exactly(tmp_path, version, readable):
    """Off by one: the current version is read, the next one (a newer attnkit's) is not;
    there never was a version below 1."""
    path = hostile(tmp_path, json.dumps({"format_version": version, "meta": {"task": "t"}}))
    if readable:
        assert read_header(path)["format_version"] == version
    else:
        with pytest.raises(AttnkitError, match=f"checkpoint format {version!r}; this attnkit "
                                               f"reads up to {FORMAT_VERSION}"):
            read_header(path)
