"""The stages of a sample (draws, clustering, pairing, ratings): a progress bar each, and their wall seconds,
which the sidecar records and the CLI prints (``fit`` and ``writing`` are added by their callers)."""
import contextlib
import time

from tqdm.auto import tqdm


class Stages:
    def __init__(self, progress=True):
        self.progress = progress
        self.seconds = {}

    @contextlib.contextmanager
    def __call__(self, name, total=None, unit="step"):
        """A bar named ``name`` (``total`` steps of ``unit``) while the block runs; its seconds added to ``name``'s."""
        start = time.perf_counter()
        with tqdm(total=total, desc=name, unit=unit, unit_scale=True, leave=False,
                  disable=None if self.progress else True) as bar:
            yield bar
        self.seconds[name] = round(self.seconds.get(name, 0.0) + time.perf_counter() - start, 3)
