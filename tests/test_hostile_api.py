"""Bad values handed to the Python API, one table (issue 26): each raises the one AttnkitError
the CLI would print, never a TypeError or a ValueError from deep inside."""

from __future__ import annotations

import numpy as np
import pytest

import attnkit

API_CASES = [  # the Python API: the same one AttnkitError the CLI prints, never a TypeError
    ("load", 5, "load takes a run folder, a checkpoint file or a shipped model's name, got 5"),
    ("load", None, "load takes a run folder, a checkpoint file or a shipped model's name, got"),
    ("load", b"dates", "load takes a run folder, a checkpoint file or a shipped model's name"),
    ("load", "", "load takes a run folder"),
    ("dates", 5, "predict takes a list of texts: predict([text]) for one, got int"),
    ("dates", None, "predict takes a list of texts: predict([text]) for one, got NoneType"),
    ("dates", b"3/12/11", "predict takes a list of texts: predict([text]) for one, got bytes"),
    ("dates", {"a": 1}, "predict takes a list of texts: predict([text]) for one, got dict"),
    ("dates", [b"3/12/11"], "text 1: expected a text, got bytes"),
    ("dates", ["3/12/11", None], "text 2: expected a text, got NoneType"),
    ("dates", ["3/12/11", 7], "text 2: expected a text, got int"),
    ("imdb", 5, "predict takes a list of texts: predict([text]) for one, got int"),
    ("imdb", b"good", "predict takes a list of texts: predict([text]) for one, got bytes"),
    ("imdb", [None], "text 1: expected a text, got NoneType"),
    ("molecules", b"\x89PNG", "predict takes a list of images: predict([image]) for one, got "
                              "bytes"),
    ("molecules", None, "predict takes a list of images: predict([image]) for one, got "
                        "NoneType"),
    ("molecules", 5, "predict takes a list of images"),
    ("molecules", [5], "image 1: expected a file path, a PIL image or a uint8 array, got int"),
]
BEAM_CASES = [(beam, "beam_width must be a whole number from 1 to 100, got " + repr(beam))
              for beam in (0, -1, 101, 2.5, "4", True)]


@pytest.fixture(scope="module")
def predictors():
    return {name: attnkit.load(name) for name in ("dates", "imdb", "molecules")}


@pytest.mark.parametrize("target, given, message", API_CASES,
                         ids=[f"{target}-{given!r:.20}" for target, given, _ in API_CASES])
def test_python_api_calls_with_bad_values_raise_one_attnkit_error(target, given, message,
                                                                   predictors):
    with pytest.raises(attnkit.AttnkitError) as caught:
        attnkit.load(given) if target == "load" else predictors[target].predict(given)
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize("beam, message", BEAM_CASES, ids=[repr(b) for b, _ in BEAM_CASES])
@pytest.mark.parametrize("target", ["dates", "molecules"])
def test_a_bad_beam_width_is_an_attnkit_error_not_a_value_error(target, beam, message,
                                                                 predictors):
    drawing = np.full((64, 64), 255, dtype=np.uint8)
    drawing[20:40, 30:34] = 0
    given = ["3/12/11"] if target == "dates" else [drawing]
    with pytest.raises(attnkit.AttnkitError, match=message.replace("(", r"\(")):
        predictors[target].predict(given, beam_width=beam)
