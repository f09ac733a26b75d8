"""stgnn: a spatio-temporal graph neural network that classifies each stock's coming move as
Down / None / Up, judged by walk-forward optimization."""

from stgnn.classes import CLASS_NAMES, DOWN, NONE, UP

__all__ = ["CLASS_NAMES", "DOWN", "NONE", "UP", "__version__"]
__version__ = "0.1.0"
