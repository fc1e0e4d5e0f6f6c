"""POST /api/{model}/predict for the text models (dates, reviews), and the bad requests each
gets a 4xx JSON message for; GET /api/models, /healthz and the OpenAPI page."""

import numpy as np
import pytest

from attnkit.serve.limits import Limits

from ..unavailable import ONNX, require_module
from .served_models import reviews, shipped


def predict(client, model, body=None, **options):
    return client.post(f"/api/{model}/predict", json=body, **options)


def test_models_health_and_the_openapi_page(client):
    assert client.get("/healthz").json() == {"status": "ok",
                                             "models": ["dates", "molecules", "reviews"]}
    models = {model["name"]: model for model in client.get("/api/models").json()["models"]}
    assert models["dates"]["view"] == "dates" and models["dates"]["inputs"] == "text"
    assert models["dates"]["measured"]["test_exact_match"] > 0.99
    assert models["molecules"]["inputs"] == "image" and models["molecules"]["molecules"]
    assert models["reviews"]["pipeline"] == "classify"
    assert models["reviews"]["classes"] == ["food", "music", "sport"]
    assert set(models["reviews"]["measured"]) == {"val_accuracy", "val_precision", "val_recall",
                                                  "val_f1"}
    assert "/api/{model}/predict" in client.get("/openapi.json").json()["paths"]
    assert "swagger" in client.get("/docs").text.lower()


def test_dates_answers_a_batch_in_input_order_with_attention(client):
    texts = ["3/12/11", "  March 5th, 1999", "tuesday 4 july 2023"]
    response = predict(client, "dates", {"inputs": texts})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["output"] for r in results] == ["2011-03-12", "1999-03-05", "2023-07-04"]
    for text, result in zip(texts, results, strict=True):
        attention = np.array(result["attention"])
        assert attention.shape == (len(result["output_tokens"]), len(text.strip()))
        assert result["input_tokens"] == list(text.strip())
        np.testing.assert_allclose(attention.sum(1), 1, atol=1e-3)
        assert 0.5 < result["probability"] <= 1 and result["log_probability"] <= 0
    alone = predict(client, "dates", {"inputs": [texts[1]]}).json()["results"][0]
    assert alone == results[1]  # a batch answers each input as it would alone


def test_reviews_gives_label_probabilities_and_a_weight_per_token(client):
    text = "  The BAND played a new song, and the album was great"
    [result] = predict(client, "reviews", {"inputs": [text]}).json()["results"]
    assert result["output"] == "music"
    assert list(result["probabilities"]) == ["food", "music", "sport"]
    assert sum(result["probabilities"].values()) == pytest.approx(1, abs=1e-4)
    assert result["probability"] == max(result["probabilities"].values())
    assert len(result["attention"]) == len(result["tokens"]) == len(result["spans"]) == 11
    assert result["tokens"][:2] == ["The", "BAND"]  # the user's words, where they wrote them
    assert [text[start:end] for start, end in result["spans"]] == result["tokens"]
    assert sum(result["attention"]) == pytest.approx(1, abs=1e-3)
    texts = ["a goal in the match", "the chef and the recipe"]
    [sport, food] = predict(client, "reviews", {"inputs": texts}).json()["results"]
    assert (sport["output"], food["output"]) == ("sport", "food")


TEXT_BODY = '{"inputs": ["text", ...]}'


@pytest.mark.parametrize(("body", "status", "message"), [
    (b"{", 400, "the body is not valid JSON"),
    (b"\xff\xfe", 400, "the body is not valid JSON"),
    (b"", 400, "the body is not valid JSON"),
    (b'["3/12/11"]', 422, f"expected a JSON object {TEXT_BODY}, got a list"),
    (b'{"texts": ["3/12/11"]}', 422, "unknown field 'texts'"),
    (b'{}', 422, "missing field 'inputs'"),
    (b'{"inputs": "3/12/11"}', 422, "'inputs' must be a list of texts, got a string"),
    (b'{"inputs": []}', 422, "'inputs' is empty"),
    (b'{"inputs": ["3/12/11", 7]}', 422, "text 2 is a number, not a string"),
    (b'{"inputs": ["3/12/11", "  "]}', 422, "text 2: cannot translate an empty input"),
    (b'{"inputs": ["' + b"1" * 300 + b'"]}', 422, "text 1: input of 300 characters is too long"),
])
def test_each_bad_text_request_gets_a_4xx_naming_its_problem(client, body, status, message):
    response = client.post("/api/dates/predict", content=body,
                           headers={"content-type": "application/json"})
    assert response.status_code == status
    assert response.json()["detail"].startswith(message)


def test_a_text_the_classifier_cannot_read_is_named(client):
    response = predict(client, "reviews", {"inputs": ["the song", "zzz qqq xxx"]})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("text 2: none of the 3 words the model reads")


def test_limits_on_inputs_text_length_and_body_size(serve):
    limits = Limits(max_texts=3, max_text_chars=50, max_json_bytes=2_000)
    with serve([shipped("dates"), reviews()], limits) as client:
        response = predict(client, "dates", {"inputs": ["3/12/11"] * 4})
        assert (response.status_code, response.json()["detail"]) == (
            422, "too many inputs: 4, at most 3 per request")
        response = predict(client, "reviews", {"inputs": ["song " * 20]})
        assert (response.status_code, response.json()["detail"]) == (
            422, "text 1 has 100 characters, more than the limit of 50")
        response = predict(client, "reviews", {"inputs": ["x" * 3_000]})
        assert (response.status_code, response.json()["detail"]) == (
            413, "request body too large: the limit is 2,000 bytes")
        chunks = iter([b'{"inputs": ["', b"x" * 1_500, b"x" * 1_500, b'"]}'])  # no length given
        response = client.post("/api/reviews/predict", content=chunks,
                               headers={"content-type": "application/json"})
        assert response.status_code == 413 and "2,000 bytes" in response.json()["detail"]
        assert predict(client, "dates", {"inputs": ["3/12/11"]}).status_code == 200


def test_unknown_model_route_and_method_are_json_4xx(client):
    response = predict(client, "films", {"inputs": ["great"]})
    assert response.status_code == 404
    assert response.json()["detail"] == ("no model named 'films' here; models: dates, molecules, "
                                         "reviews")
    assert client.get("/api/nothing/here").status_code == 404
    assert client.get("/api/dates/predict").status_code == 405
    assert client.get("/api/dates/predict").json()["detail"]


def test_a_text_model_refuses_an_upload(client):
    response = client.post("/api/dates/predict", files={"images": ("a.png", b"png")})
    assert response.status_code == 415
    assert response.json()["detail"].startswith("model 'dates' reads texts: send JSON")


def test_an_onnx_export_serves_the_answers_of_its_run(serve, tmp_path):
    """Serving an exported .onnx (how a user asks for ONNX Runtime) answers as its run does."""
    require_module("onnxruntime", ONNX)
    from attnkit.cli import main
    from attnkit.serve.served import load_served

    from .served_models import topic_run

    exported = tmp_path / "topics.onnx"
    assert main(["export", str(topic_run()), "--format", "onnx", "--output", str(exported)]) == 0
    [onnx_model] = load_served([f"fast={exported}"])
    texts = {"inputs": ["the band played a new song", "a chef and a recipe"]}
    with serve([reviews(), onnx_model]) as client:
        answers = [predict(client, name, texts).json()["results"] for name in ("reviews", "fast")]
    assert [r["output"] for r in answers[1]] == [r["output"] for r in answers[0]]
    for mine, theirs in zip(*answers, strict=True):
        assert mine["attention"] == pytest.approx(theirs["attention"], abs=1e-4)


def test_serve_runtime_onnx_int8_serves_a_classifier_with_int8_weights(serve, tmp_path):
    """`attnkit serve RUN --runtime onnx-int8`: the classifier runs under ONNX Runtime on int8
    weights exported at start (its answers are those of `attnkit export --int8`'s file); a
    dates model refuses int8 with the reason."""
    import contextlib

    require_module("onnxruntime", ONNX)
    from attnkit.cli import main
    from attnkit.errors import AttnkitError
    from attnkit.pipelines.classify.predictor import TextClassifier
    from attnkit.serve.served import load_served

    from .served_models import topic_run

    exported = tmp_path / "int8.onnx"
    assert main(["export", str(topic_run()), "--format", "onnx", "--int8", "--output",
                 str(exported)]) == 0
    texts = ["the band played a new song", "a chef and a recipe", "the team won the match"]
    expected = TextClassifier.from_checkpoint(exported).predict(texts)
    with contextlib.ExitStack() as exports:
        [model] = load_served([f"fast={topic_run()}"], "onnx-int8", exports)
        with serve([model]) as client:
            answers = predict(client, "fast", {"inputs": texts}).json()["results"]
    assert model.predictor.runtime.name == "onnx"
    assert [answer["output"] for answer in answers] == [p.label for p in expected]
    assert [answer["probability"] for answer in answers] == \
        pytest.approx([p.probability for p in expected], abs=1e-6)
    with pytest.raises(AttnkitError, match="quantises classifiers only"):
        load_served(["dates"], "onnx-int8")
