"""What every synthetic-data generator of the package shares (GANRS and the comparison generators).

scikit-learn style: constructor parameters are dataclass fields, ``fit(source)``
learns, ``sample(users, items, samples, std, seed)`` returns a ratings frame.
``sample_with_meta`` also returns what the generator measured while sampling
(it goes into the dataset's sidecar), and ``save``/``load`` keep a fit in a file
of tensors and plain values, loaded weights-only.
"""
import dataclasses

import numpy as np
import pandas as pd
import torch

from recbole_ganrs.data import load_ratings
from recbole_ganrs.errors import GanrsError

#: constructor parameters that do not change what ``fit`` learns
SAMPLE_ONLY_PARAMS = ("progress", "rating_match", "match_shapes")


class SyntheticGenerator:
    """Base of the generators; subclasses are dataclasses with a ``_state`` field and a ``kind``."""

    kind = None  # "ganrs", "cfgan", "statistical": the dataset name's prefix and the --generator value
    fit_format = 1  # bumped by a subclass when its saved state changes; older fits are refitted

    # ------------------------------------------------------------ parameters
    def params(self):
        """Constructor parameters (what the sidecar records)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "_state"}

    def fit_params(self):
        """Parameters that change what ``fit`` learns (the fit cache key)."""
        return {k: v for k, v in self.params().items() if k not in SAMPLE_ONLY_PARAMS}

    def name_suffix(self):
        """Added to the dataset name for settings that are not the defaults, e.g. ``-wgan``."""
        return ""

    # ----------------------------------------------------------------- fit
    @staticmethod
    def read_source(source):
        """(ratings frame, name) of ``source``: 'ml-100k', an atomic folder, or a DataFrame."""
        if isinstance(source, pd.DataFrame):
            return source, "dataframe"
        return load_ratings(source, strict=True), str(source)

    def _check_fitted(self):
        if self._state is None:
            raise GanrsError(f"{type(self).__name__} is not fitted: call fit(source) or load(path) first")

    # -------------------------------------------------------------- sample
    def sample(self, users, items, samples, std=2.5, seed=0):
        """A synthetic ratings DataFrame (user_id, item_id, rating) with ids 1..n."""
        return self.sample_with_meta(users, items, samples, std, seed)[0]

    def sample_with_meta(self, users, items, samples, std=2.5, seed=0):
        """(ratings, {what the sidecar should record about this sample})."""
        raise NotImplementedError

    # ----------------------------------------------------------- save/load
    def save(self, path):
        """Write the fitted generator (tensors and plain values only) to ``path``."""
        from recbole_ganrs.data.atomic import atomic_path

        self._check_fitted()
        with atomic_path(path) as tmp:
            torch.save({"kind": self.kind, "format": self.fit_format, "params": self.params(),
                        "state": self._state}, tmp)

    @classmethod
    def load(cls, path, progress=True):
        """A fitted generator from ``save``; loaded weights-only (no code runs from the file)."""
        try:
            saved = torch.load(path, weights_only=True)
        except FileNotFoundError:
            raise GanrsError(f"no saved generator fit at {path}") from None
        except Exception as exc:
            raise GanrsError(f"{path} is not a saved GANRS fit ({type(exc).__name__})") from None
        from recbole_ganrs.generator import GENERATORS

        kind = saved.get("kind", "ganrs") if isinstance(saved, dict) else None
        target = GENERATORS.get(kind) if cls is SyntheticGenerator else cls
        if target is None or kind != target.kind or saved.get("format") != target.fit_format:
            raise GanrsError(f"{path} is a generator fit of another kind or format: fit the source again")
        gen = target(**{**saved["params"], "progress": progress})
        gen._state = saved["state"]
        return gen


def ratings_frame(user, item, rating):
    """Ratings with contiguous ids 1..n over the users and items present; also the original user
    index of each new id (row k for user id k + 1)."""
    used_users, user = np.unique(user, return_inverse=True)
    item = np.unique(item, return_inverse=True)[1] + 1
    frame = pd.DataFrame({"user_id": (user + 1).astype(str), "item_id": item.astype(str), "rating": rating})
    return frame, used_users


def check_request(users, items, samples, std):
    """Refuse impossible sampling requests with a one-line reason."""
    for label, value in (("users", users), ("items", items), ("samples", samples)):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise GanrsError(f"{label} must be a positive integer, got {value!r}")
    if samples < max(users, items):
        raise GanrsError(f"samples ({samples}) must be at least the number of users ({users}) and items ({items})")
    if not std > 0:
        raise GanrsError(f"std must be > 0, got {std!r}")
