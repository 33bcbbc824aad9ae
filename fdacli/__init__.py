"""fdacli — the `fda` suite for dynamic facial expression captioning."""

__version__ = "0.1.0"
