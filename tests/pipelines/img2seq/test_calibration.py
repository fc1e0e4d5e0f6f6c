"""A molecule reading's calibrated confidence (`img2seq.calibration`, issue #27): the fit
recovers a known logistic law, and a calibrated model's records say how sure they are and flag
the unsure ones."""

import dataclasses
import math

import numpy as np
import pytest

from attnkit.pipelines.img2seq.calibration import confidence, fit_confidence


def test_the_fit_recovers_the_law_the_readings_were_drawn_from():
    rng = np.random.default_rng(0)
    log_p = rng.uniform(-6, 0, 20_000)
    right = rng.random(20_000) < 1 / (1 + np.exp(-(1.5 * log_p + 2.0)))
    scale, shift = fit_confidence(log_p, right)
    assert scale == pytest.approx(1.5, abs=0.1) and shift == pytest.approx(2.0, abs=0.1)
    assert confidence(0.0, scale, shift) == pytest.approx(1 / (1 + math.exp(-shift)))
    # a reading that never ended (no log-probability) gets the lowest confidence
    assert confidence(None, scale, shift) < 1e-20 and confidence(-math.inf, 1.5, 2.0) < 1e-20


def test_a_calibrated_reader_adds_confidence_and_flag_to_its_records():
    from attnkit.data.molecule_render import RenderConfig, render_smiles
    from attnkit.pipelines.img2seq.predictor import ImageReader

    reader = ImageReader.from_checkpoint("molecules")
    images = np.stack([render_smiles(text, RenderConfig(image_size=reader.image_size)).image
                       for text in ("CC(=O)Nc1ccc(O)cc1", "CCCCCCCCCCCCCCCCCCCCCCCCCCCC")])
    decode = reader.recipe.decode
    assert decode.confidence_scale > 0  # the shipped reader is calibrated
    readings = reader.predict_encoded(images, beam_width=1)
    for reading in readings:
        record = reading.to_record()
        expected = confidence(reading.score if reading.finished else None,
                              decode.confidence_scale, decode.confidence_shift)
        assert record["confidence"] == pytest.approx(expected, abs=1e-6)
        assert record["flagged"] == (expected < decode.flag_below)
    reader.recipe = dataclasses.replace(reader.recipe, decode=dataclasses.replace(
        decode, confidence_scale=0.0))
    assert "confidence" not in reader.predict_encoded(images[:1])[0].to_record()
