"""RecBole's own checkpoints, saved and loaded weights-only on torch >= 2.6.

RecBole 1.2.1 pickles its ``Config`` into every checkpoint, writes it with pickle protocol 4 and reads it with a
bare ``torch.load``. torch >= 2.6 loads weights-only by default, and its weights-only unpickler refuses both the
``Config`` (an unknown class) and protocol 4 itself ("Unsupported operand 149", the protocol's FRAME). So
``run_recbole`` trains and then dies when it reloads its best model, and with it ``run_recboles``,
``objective_function`` and ``load_data_and_model``.

What :func:`patch_recbole` changes, and nothing else:
- ``Trainer._save_checkpoint`` writes the same dict at torch's own pickle protocol (2), which the weights-only
  unpickler reads.
- RecBole's three loading sites (``Trainer.evaluate``, ``Trainer.resume_checkpoint``,
  ``quick_start.load_data_and_model``) load inside torch's ``safe_globals`` with exactly the globals the file
  names that a RecBole checkpoint can hold (:func:`allowed_global`): RecBole's and the plugin's config, enum and
  model classes, the YAML loader class the config keeps, numpy arrays and scalars, scipy sparse matrices (ItemKNN
  keeps its similarities in one).
  ``weights_only`` stays on: a pickle naming anything else (``os.system``, a class of an unimported module) is
  refused by torch, and no module a file names is imported to check it.
"""
import contextlib
import enum
import functools
import importlib
import sys

import torch

from recbole_ganrs.errors import GanrsError

#: modules whose classes a RecBole checkpoint names (its Config, enums and model classes)
RECBOLE_PACKAGES = ("recbole", "recbole_ganrs")
#: what a numpy array or scalar in a checkpoint is rebuilt with (numpy 1 and 2 spell the module differently)
NUMPY_GLOBALS = frozenset({
    "numpy.core.multiarray._reconstruct", "numpy._core.multiarray._reconstruct", "numpy.ndarray", "numpy.dtype",
    "numpy.core.multiarray.scalar", "numpy._core.multiarray.scalar",
})
#: scipy.sparse's matrix and array classes live in private modules (scipy.sparse._csr, ...)
SCIPY_SPARSE = "scipy.sparse."
#: the YAML loader class RecBole's Config keeps (``Config._build_yaml_loader``): a class, never called on load
YAML_LOADER = "yaml.loader.FullLoader"


class CheckpointError(GanrsError):
    """A checkpoint that cannot be loaded weights-only."""


def loaded_object(name):
    """The object ``name`` ("module.qualname") names if its module is already imported, else None: a file's names
    never import anything."""
    module, _, qualname = name.rpartition(".")
    while module and module not in sys.modules:  # a nested qualname ("pkg.mod.Outer.Inner")
        module, _, head = module.rpartition(".")
        qualname = f"{head}.{qualname}"
    if not module:
        return None
    target = sys.modules[module]
    for part in qualname.split("."):
        target = getattr(target, part, None)
    return target


def recbole_object(name):
    """The object ``name`` names if it is of RecBole or the plugin (importing that installed module is safe)."""
    module = name.rpartition(".")[0]
    if module.split(".")[0] in RECBOLE_PACKAGES:
        with contextlib.suppress(ImportError):
            importlib.import_module(module)
    return loaded_object(name)


def allowed_global(name):
    """The object for ``name`` if a RecBole checkpoint may name it, else None."""
    from recbole.config import Config
    from recbole.model.abstract_recommender import AbstractRecommender

    if name in NUMPY_GLOBALS or name == YAML_LOADER:
        return loaded_object(name)
    target = recbole_object(name)
    if isinstance(target, type) and target.__module__.split(".")[0] in RECBOLE_PACKAGES:
        return target if issubclass(target, (Config, enum.Enum, AbstractRecommender)) else None
    if isinstance(target, type) and issubclass(target, AbstractRecommender):
        return target  # a model class of the user's own, already imported (run_recbole(model=MyModel))
    if name.startswith(SCIPY_SPARSE):
        import scipy.sparse as sp

        target = loaded_object(name)
        return target if isinstance(target, type) and issubclass(target, (sp.spmatrix, sp.sparray)) else None
    return None


def checkpoint_globals(path):
    """The globals the checkpoint at ``path`` names that torch does not already allow, and a RecBole checkpoint
    may hold; refuses, in one line, a file that is no weights-only checkpoint at all."""
    try:
        names = torch.serialization.get_unsafe_globals_in_checkpoint(path)
    except Exception as error:  # noqa: BLE001  (the unpickler's errors have no common class)
        if "Unsupported operand 149" in str(error):
            raise CheckpointError(
                f"{path}: saved with pickle protocol 4 (RecBole without recbole_ganrs imported), which torch "
                "cannot load weights-only; train it again after `import recbole_ganrs`, or load it yourself with "
                "torch.load(..., weights_only=False) if you trust the file") from None
        raise
    allowed = [target for target in (allowed_global(name) for name in names) if target is not None]
    if "numpy.dtype" in names:  # np.dtype("f8") is rebuilt as an instance of its class, which the file never names
        allowed += numpy_dtype_classes()
    return allowed


def numpy_dtype_classes():
    """numpy's dtype classes (``numpy.dtypes.Float64DType``, ...)."""
    import numpy as np

    return [cls for cls in vars(np.dtypes).values() if isinstance(cls, type) and issubclass(cls, np.dtype)]


@contextlib.contextmanager
def recbole_checkpoint(path):
    """Within the block, ``torch.load(path)`` (weights-only) may rebuild what a RecBole checkpoint holds."""
    with torch.serialization.safe_globals(checkpoint_globals(str(path))):
        yield


def load(path, map_location=None):
    """A RecBole checkpoint, loaded weights-only."""
    with recbole_checkpoint(path):
        return torch.load(path, map_location=map_location, weights_only=True)


def save_checkpoint(self, epoch, verbose=True, **kwargs):
    """RecBole's ``Trainer._save_checkpoint`` with the same dict, at torch's default pickle protocol."""
    if not self.config["single_spec"] and self.config["local_rank"] != 0:
        return
    saved_model_file = kwargs.pop("saved_model_file", self.saved_model_file)
    state = {
        "config": self.config,
        "epoch": epoch,
        "cur_step": self.cur_step,
        "best_valid_score": self.best_valid_score,
        "state_dict": self.model.state_dict(),
        "other_parameter": self.model.other_parameter(),
        "optimizer": self.optimizer.state_dict(),
    }
    torch.save(state, saved_model_file)
    if verbose:
        self.logger.info(f"Saving current: {saved_model_file}")


def loading(method, path_of):
    """``method`` run with the safe globals of the checkpoint ``path_of(*args, **kwargs)`` names (None: no
    checkpoint is read by this call)."""
    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        path = path_of(*args, **kwargs)
        if path is None:
            return method(*args, **kwargs)
        with recbole_checkpoint(path):
            return method(*args, **kwargs)

    wrapper.ganrs_patched = True
    return wrapper


def evaluated_file(self, eval_data, load_best_model=True, model_file=None, show_progress=False):
    return (model_file or self.saved_model_file) if eval_data and load_best_model else None


def patch_recbole():
    """Save RecBole's checkpoints at protocol 2 and load them with their safe globals (see the module's text)."""
    import recbole.quick_start as package
    import recbole.quick_start.quick_start as quick_start
    from recbole.trainer import Trainer

    if getattr(Trainer.evaluate, "ganrs_patched", False):
        return
    Trainer._save_checkpoint = save_checkpoint
    Trainer.evaluate = loading(Trainer.evaluate, evaluated_file)
    Trainer.resume_checkpoint = loading(Trainer.resume_checkpoint, lambda self, resume_file: resume_file)
    load_data_and_model = loading(quick_start.load_data_and_model, lambda model_file: model_file)
    quick_start.load_data_and_model = package.load_data_and_model = load_data_and_model
