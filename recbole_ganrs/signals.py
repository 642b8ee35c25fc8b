"""What keeps cli.main's signal policy (SIGINT and SIGTERM end a command with one line, exit 128 + the signal) true
below it, where native code would break it."""
import contextlib
import signal
import threading

SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _in_main_thread():
    return threading.current_thread() is threading.main_thread()  # only the main thread may set handlers


@contextlib.contextmanager
def own_handlers():
    """The process's SIGINT and SIGTERM handlers as they were before the block, set again after it. ``ray.init``
    replaces SIGTERM's with Ray's own, under which abseil's failure handler prints a C++ stack and arms a 3-second
    abort before chaining on (a driver stopped while its shutdown took longer died of SIGABRT, rc 134)."""
    if not _in_main_thread():
        yield
        return
    saved = {sig: signal.getsignal(sig) for sig in SIGNALS}
    try:
        yield
    finally:
        for sig, handler in saved.items():
            if handler is not None:  # None: set outside Python, which cannot be set again from here
                signal.signal(sig, handler)


@contextlib.contextmanager
def deferred():
    """SIGINT and SIGTERM held until the block ends, then raised again. For native code that checks for signals
    mid-call and leaves threads of its own running when the handler raises: scipy's ``cKDTree.query(workers=-1)``
    does, and the interpreter then exits under those threads (SIGSEGV, exit 139 instead of 143). The signal waits
    at most one call."""
    if not _in_main_thread():
        yield
        return
    caught = []
    saved = {sig: signal.getsignal(sig) for sig in SIGNALS}
    held = {sig: h for sig, h in saved.items() if callable(h)}  # an ignored or default signal stays so
    for sig in held:
        signal.signal(sig, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        for sig, handler in held.items():
            signal.signal(sig, handler)
        if caught:
            signal.raise_signal(caught[0])
