"""attnkit: attention models that train fast on a CPU and show what they attend to.

    import attnkit

    translator = attnkit.load("dates")   # a shipped model, a run folder or a checkpoint file
    [result] = translator.predict(["3/12/11"])
    result.output, result.score, result.attention

    run_dir = attnkit.train("dates", overrides=["train.epochs=1"], run_dir="runs/dates")

Importing attnkit is cheap: torch and the pipelines are imported when `load` or `train` is
first called.
"""

from attnkit.api import load, train
from attnkit.errors import AttnkitError
from attnkit.version import __version__

__all__ = ["AttnkitError", "__version__", "load", "train"]
