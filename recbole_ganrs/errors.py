"""Errors the CLI reports as one line and a non-zero exit (no traceback)."""


class GanrsError(Exception):
    """A problem with the user's input: source, parameters, paths or config."""


class SourceError(GanrsError):
    """A dataset source that cannot be read as RecBole atomic ratings."""


class UnknownModelError(GanrsError, ValueError):
    """A model name that is neither a recbole_ganrs model nor a RecBole model."""


class Interrupted(GanrsError):
    """A run stopped by a signal (or with trials never read) before every trial finished; ``exit_status``
    follows the shell's convention, 128 + the signal number (130 for Ctrl-C)."""

    def __init__(self, message, exit_status=130):
        super().__init__(message)
        self.exit_status = exit_status
