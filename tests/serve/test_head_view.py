"""The serve page's head view: `POST /api/MODEL/heads` answers every layer's and head's
attention of a Transformer for one text. The oracles are outside the route: for the shipped
`imdb_transformer`, the first layer's weights computed here from the layer's own projections
(softmax(q k^T / sqrt(d)) per head); for a tiny date Transformer, the cross-attention the
search itself returned (`/predict`'s attention: the last layer's heads averaged)."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from attnkit.cli import main
from attnkit.serve.served import load_served

from ..threads import one_thread
from .served_models import shipped

REVIEW = "A moving story with superb acting, though the ending drags a little."


@functools.cache
def date_transformer():
    """A served date Transformer (2 layers, 4 heads), trained 1 epoch on 300 dates."""
    folder = Path(tempfile.mkdtemp(prefix="attnkit-heads-")) / "dates-transformer"
    settings = ["data.train_size=300", "data.val_size=40", "data.test_size=40",
                "model.transformer.model_size=16", "model.transformer.ff_size=32",
                "model.transformer.encoder_layers=2", "model.transformer.decoder_layers=2",
                "train.epochs=1"]
    with one_thread():
        assert main(["train", "dates", "--model", "transformer", "--run-dir", str(folder),
                     *[part for setting in settings for part in ("--set", setting)]]) == 0
    [model] = load_served([f"dt={folder}"])
    return model


@pytest.fixture(scope="module")
def client():
    from .conftest import serving

    with serving([shipped("imdb_transformer"), shipped("dates"), date_transformer()]) as client:
        yield client


def heads_of(client, model: str, *texts: str):
    return client.post(f"/api/{model}/heads", json={"inputs": list(texts)})


def first_layer_by_hand(text: str) -> np.ndarray:
    """(heads, S, S): the classifier's first encoder layer's self-attention from its weights."""
    predictor = shipped("imdb_transformer").predictor
    model = predictor.self_attending()
    encoded = predictor.encode(text)
    with torch.no_grad():
        x = model.embed(torch.as_tensor(encoded.ids)[None], None)[0]  # (S, E)
        layer = model.encoder.layers[0]
        norm, attention = layer.attention_norm, layer.self_attention
        x = F.layer_norm(x, norm.normalized_shape, norm.weight, norm.bias, norm.eps)
        q = x @ attention.query_layer.weight.T + attention.query_layer.bias
        k = x @ attention.key_layer.weight.T
        S, E = q.shape
        H = attention.num_heads
        q, k = (t.reshape(S, H, E // H).transpose(0, 1) for t in (q, k))  # (H, S, d)
        return torch.softmax(q @ k.transpose(1, 2) / (E // H) ** 0.5, dim=-1).numpy()


def test_models_say_whether_they_have_heads(client):
    models = {model["name"]: model for model in client.get("/api/models").json()["models"]}
    assert models["imdb_transformer"]["heads"] is True
    assert models["dt"]["heads"] is True
    assert models["dates"]["heads"] is False  # a GRU with one attention


def test_a_transformer_classifiers_heads_are_its_self_attention(client):
    answer = heads_of(client, "imdb_transformer", REVIEW)
    assert answer.status_code == 200, answer.text
    record = answer.json()
    assert record["kind"] == "self-attention"
    assert record["rows"] == record["columns"]
    assert record["rows"][:3] == ["A", "moving", "story"]
    weights = np.array(record["heads"])  # (layers, heads, S, S)
    S = len(record["rows"])
    assert weights.shape[2:] == (S, S) and weights.shape[0] >= 2
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, atol=S * 5e-5)
    np.testing.assert_allclose(weights[0], first_layer_by_hand(REVIEW), atol=6e-5)
    predicted = client.post("/api/imdb_transformer/predict", json={"inputs": [REVIEW]}).json()
    assert record["output"] == predicted["results"][0]["output"]


def test_a_translators_heads_average_to_the_attention_its_search_returned(client):
    text = "3rd of March 2011"
    record = heads_of(client, "dt", text).json()
    [predicted] = client.post("/api/dt/predict", json={"inputs": [text]}).json()["results"]
    assert record["kind"] == "cross-attention"
    assert record["output"] == predicted["output"]
    assert record["rows"] == predicted["output_tokens"]
    assert record["columns"] == predicted["input_tokens"] == list(text)
    weights = np.array(record["heads"])
    assert weights.shape == (2, 4, len(record["rows"]), len(text))
    np.testing.assert_allclose(weights[-1].mean(axis=0), predicted["attention"], atol=3e-4)


@pytest.mark.parametrize(("model", "texts", "status", "message"), [
    ("dates", ["3rd of March 2011"], 404, "has no attention heads to show"),
    ("nope", ["x"], 404, "no model named 'nope'"),
    ("dt", ["a", "b"], 422, "one text at a time"),
    ("dt", [" "], 422, "cannot translate an empty input"),
    ("imdb_transformer", [], 422, "'inputs' is empty"),
])
def test_a_request_the_head_view_cannot_answer_says_why(client, model, texts, status, message):
    answer = heads_of(client, model, *texts)
    assert answer.status_code == status
    assert message in answer.json()["detail"]
