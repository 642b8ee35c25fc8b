"""Make RecBole 1.2.1 and Ray 2.6.3 run on numpy 2.x and torch >= 2.6.

Imported by ``recbole_ganrs/__init__.py`` before recbole or ray, and run in every
Ray worker through ``RAY_RUNTIME_ENV`` (see :func:`ray_runtime_env`).

What it fixes (measured, see ../shared/DESIGN.md):
- numpy 2 removed ``np.float_``, ``np.bool8`` and friends that RecBole's Config and
  Ray Tune's loggers still use: restore them as aliases of the real types.
- scipy >= 1.13 dropped ``dok_matrix._update``, with which RecBole's LightGCN (and the
  other graph models) build their adjacency matrix: put back the bulk update it was.
- RecBole's ``Interaction`` indexing converts an index list once per field: a tensor made once instead
  (same rows; measured below in ``patch_interaction_indexing``).
- torch >= 2.6 loads with ``weights_only=True`` by default; RecBole checkpoints
  pickle a Config at protocol 4. We do *not* lower that default process-wide:
  ``checkpoints.py`` (applied by ``recbole_ganrs/__init__.py`` once RecBole is
  importable) saves them at protocol 2 and loads them with exactly their safe globals.
"""
import warnings

import numpy as np

_NUMPY_ALIASES = {
    "float_": "float64",
    "complex_": "complex128",
    "unicode_": "str_",
    "string_": "bytes_",
    "bool8": "bool_",
    "int0": "intp",
    "uint0": "uintp",
    "object0": "object_",
}


def patch_numpy():
    """Add back the removed numpy aliases that RecBole 1.2.1 and Ray 2.6.3 reference."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for alias, target in _NUMPY_ALIASES.items():
            try:
                getattr(np, alias)
            except AttributeError:
                setattr(np, alias, getattr(np, target))


def patch_scipy():
    """``dok_matrix._update(dict)``, a bulk update without per-key checks, as scipy < 1.13 had it."""
    from scipy.sparse import _dok

    base = getattr(_dok, "_dok_base", None)
    if base is not None and not hasattr(base, "_update"):
        base._update = lambda self, data: self._dict.update(data)


def patch_interaction_indexing():
    """RecBole's ``Interaction[index]`` turns an array index into a Python list and indexes every field with it,
    converting the list again for each field: a third of a small model's training step (a batch of 1,024 rows,
    four fields). Index with one tensor made once: the same rows in the same order."""
    import torch
    from recbole.data.interaction import Interaction

    if getattr(Interaction.__getitem__, "ganrs_patched", False):
        return

    def getitem(self, index):
        if isinstance(index, str):
            return self.interaction[index]
        if isinstance(index, (list, tuple, np.ndarray)):
            array = np.asarray(index)
            index = torch.from_numpy(array if array.dtype == bool else array.astype(np.int64))
        return Interaction({k: v[index] for k, v in self.interaction.items()})

    getitem.ganrs_patched = True
    Interaction.__getitem__ = getitem


def quiet_known_warnings():
    """Deprecation notices from inside RecBole 1.2.1 and Ray 2.6.3: not our users' concern."""
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
    warnings.filterwarnings("ignore", message=r"`torch.cuda.amp.GradScaler\(args...\)` is deprecated")
    # RecBole's fillna(inplace=True) on a column: works on pandas 2 (the reason pandas < 3 is pinned)
    warnings.filterwarnings("ignore", message="A value is trying to be set on a copy", category=FutureWarning)
    # RecBole's float_seq fields (normalize_field / discretization) split on Series.agg(len): pandas 2 still returns
    # each row's length (tests/test_recbole_entry_points.py checks the values); pandas 3 would not, hence pandas < 3
    warnings.filterwarnings("ignore", message=r"using <built-in function len> in Series\.agg", category=FutureWarning)


def setup_worker():
    """Ray worker setup hook: the same patches and filters as the driver."""
    patch_numpy()
    patch_scipy()
    patch_interaction_indexing()
    quiet_known_warnings()


def ray_runtime_env():
    """Runtime env that applies the same patches inside Ray worker processes."""
    return {"worker_process_setup_hook": setup_worker}


patch_numpy()
patch_scipy()
patch_interaction_indexing()
quiet_known_warnings()
