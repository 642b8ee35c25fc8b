"""Errors the CLI reports as one line and a non-zero exit (no traceback)."""


class GanrsError(Exception):
    """A problem with the user's input: source, parameters, paths or config."""


class SourceError(GanrsError):
    """A dataset source that cannot be read as RecBole atomic ratings."""


class UnknownModelError(GanrsError, ValueError):
    """A model name that is neither a recbole_ganrs model nor a RecBole model."""
