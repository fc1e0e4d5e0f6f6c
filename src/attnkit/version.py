"""The package's version, in a module of its own so that any part may read it (the package
root sits on top of everything: it re-exports the public API)."""

__version__ = "0.1.0"
