"""User-facing errors.

Everything a user can get wrong (a flag, a file, a config value) raises a subclass of
:class:`StgnnError` with one line saying what is wrong, where, and how to fix it. The command
line turns these into exit code 2 without a traceback; library callers get an ordinary
``ValueError`` they can catch.
"""


class StgnnError(ValueError):
    """Base class of errors caused by user input."""


class DataError(StgnnError):
    """A price file, panel or data source is unusable."""


class ConfigError(StgnnError):
    """A configuration value or flag is invalid."""


class NotFittedError(StgnnError, AttributeError):
    """A fitted object (scaler, graph, sampler) was used before ``fit``."""
