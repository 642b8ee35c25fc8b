"""Name -> class resolution for the plugin's models, falling back to RecBole's.

RecBole's own ``get_model`` looks only inside ``recbole.model.*``; like
RecBole-GNN, the plugin resolves its names first.
"""
import importlib

from recbole.utils import get_model as recbole_get_model
from recbole.utils import get_trainer as recbole_get_trainer

from recbole_ganrs.errors import UnknownModelError

#: model name -> module under ``recbole_ganrs.models``
PLUGIN_MODELS = {
    "DeepMF": "deepmf",
    "VDeepMF": "vdeepmf",
    "NCF": "ncf",
    "NCFClassification": "ncf_classification",
    "NCFImprovedClassification": "ncf_improved_classification",
    "BinaryRegression": "binary_regression",
}


def get_model(model_name):
    """Return the model class for ``model_name`` (plugin models first, then RecBole's)."""
    if model_name in PLUGIN_MODELS:
        module = importlib.import_module(f"recbole_ganrs.models.{PLUGIN_MODELS[model_name]}")
        return getattr(module, model_name)
    try:
        return recbole_get_model(model_name)
    except (ValueError, AttributeError, ImportError):
        # ImportError: RecBole's search also imports exlib models whose libraries are absent
        known = ", ".join(PLUGIN_MODELS)
        raise UnknownModelError(
            f"unknown model '{model_name}': not a recbole_ganrs model ({known}) nor a RecBole model"
        ) from None


def get_trainer(model_type, model_name):
    """RecBole's trainer for this model, with checkpoints saved and loaded weights-only."""
    from recbole_ganrs.trainer import with_safe_checkpoints

    return with_safe_checkpoints(recbole_get_trainer(model_type, model_name))
