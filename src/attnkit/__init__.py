"""attnkit: attention models that train fast on a CPU and show what they attend to."""

__version__ = "0.1.0"
