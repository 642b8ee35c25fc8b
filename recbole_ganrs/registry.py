"""Name -> class resolution for the plugin's models, falling back to RecBole's, and the same inside RecBole.

RecBole's own ``get_model`` looks only inside ``recbole.model.*``; like RecBole-GNN, the plugin resolves its names
first. :func:`register_with_recbole` (run on ``import recbole_ganrs``) makes RecBole's own entry points do the same
(``run_recbole(model="VDeepMF")``, a RecBole YAML with ``model: VDeepMF``), leaving RecBole's models as RecBole
has them.
"""
from recbole.utils import get_model as recbole_get_model
from recbole.utils import get_trainer as recbole_get_trainer

from recbole_ganrs.errors import UnknownModelError


def plugin_model(model_name):
    """The plugin's model class named ``model_name``, or None."""
    from recbole_ganrs import models

    return getattr(models, model_name) if model_name in models.PLUGIN_MODELS else None


def get_model(model_name):
    """Return the model class for ``model_name`` (plugin models first, then RecBole's)."""
    found = plugin_model(model_name)
    if found is not None:
        return found
    try:
        return recbole_get_model(model_name)
    except (ValueError, AttributeError, ImportError):
        # ImportError: RecBole's search also imports exlib models whose libraries are absent
        from recbole_ganrs.models import PLUGIN_MODELS

        known = ", ".join(PLUGIN_MODELS)
        raise UnknownModelError(
            f"unknown model '{model_name}': not a recbole_ganrs model ({known}) nor a RecBole model"
        ) from None


def is_context_model(model_class):
    """A RecBole context-aware model (FM, DeepFM, WideDeep...): it reads the dataset's item (and user) features
    beside the ids, learns the 0/1 label RecBole derives with ``threshold``, and scores the pairs it is given."""
    from recbole.utils import ModelType

    return getattr(model_class, "type", None) == ModelType.CONTEXT


def reads_item_content(model_class):
    """A plugin model that reads the items' attributes (models/content.py): the collaborative VAE, LARA."""
    return getattr(model_class, "reads_item_content", False)


def get_trainer(model_type, model_name):
    """The model's trainer (a plugin model's own ``trainer_class``, else RecBole's), recording each epoch's
    validation score (``trainer.with_valid_curve``)."""
    from recbole_ganrs.trainer import with_valid_curve

    own = getattr(plugin_model(model_name), "trainer_class", None)
    return with_valid_curve(own or recbole_get_trainer(model_type, model_name))


def recbole_get_trainer_with_plugins(model_type, model_name):
    """RecBole's ``get_trainer``: the plugin's trainer for a plugin model, RecBole's own for the rest."""
    if plugin_model(model_name) is not None:
        return get_trainer(model_type, model_name)
    return recbole_get_trainer(model_type, model_name)


def register_with_recbole():
    """Point the names RecBole's Config and quick start resolve models and trainers with at the plugin-aware
    versions (each module bound its own copy at import), and let RecBole's Config load a plugin model's property
    files (``config.load_plugin_properties``)."""
    import recbole.config.configurator as configurator
    import recbole.quick_start.quick_start as quick_start
    import recbole.utils as utils

    from recbole_ganrs.config import patch_recbole_config

    for module in (configurator, quick_start, utils):
        module.get_model = get_model  # an unknown name: one ValueError naming both, not RecBole's ImportError of
        # an optional library (lightgbm) its search trips on
    for module in (quick_start, utils):
        module.get_trainer = recbole_get_trainer_with_plugins
    patch_recbole_config()
