"""Name -> class resolution for the plugin's models, falling back to RecBole's.

RecBole's own ``get_model`` looks only inside ``recbole.model.*``; like
RecBole-GNN, the plugin resolves its names first.
"""
from recbole.utils import get_model as recbole_get_model
from recbole.utils import get_trainer as recbole_get_trainer

from recbole_ganrs.errors import UnknownModelError

def get_model(model_name):
    """Return the model class for ``model_name`` (plugin models first, then RecBole's)."""
    from recbole_ganrs import models

    if model_name in models.PAPER_MODELS:
        return getattr(models, model_name)
    try:
        return recbole_get_model(model_name)
    except (ValueError, AttributeError, ImportError):
        # ImportError: RecBole's search also imports exlib models whose libraries are absent
        from recbole_ganrs.models import PAPER_MODELS

        known = ", ".join(PAPER_MODELS)
        raise UnknownModelError(
            f"unknown model '{model_name}': not a recbole_ganrs model ({known}) nor a RecBole model"
        ) from None


def get_trainer(model_type, model_name):
    """RecBole's trainer for this model, with checkpoints saved and loaded weights-only."""
    from recbole_ganrs.trainer import with_safe_checkpoints

    return with_safe_checkpoints(recbole_get_trainer(model_type, model_name))
