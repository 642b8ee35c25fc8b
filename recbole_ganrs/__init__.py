"""recbole_ganrs: GANRS synthetic datasets and deep CF baselines as a RecBole plugin.

``compat`` is imported first so that RecBole 1.2.1 and Ray 2.6.3 run on numpy 2
and torch >= 2.6; then RecBole's own entry points learn the plugin's models
(``registry.register_with_recbole``) and load their checkpoints weights-only
(``checkpoints.patch_recbole``).
"""
from recbole_ganrs import compat  # noqa: F401  (must precede recbole / ray)
from recbole_ganrs.checkpoints import patch_recbole
from recbole_ganrs.config import Config
from recbole_ganrs.registry import get_model, get_trainer, register_with_recbole

register_with_recbole()
patch_recbole()

__version__ = "0.1.0"
__all__ = ["Config", "get_model", "get_trainer", "__version__"]
