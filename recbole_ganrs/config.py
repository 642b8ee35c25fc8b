"""RecBole Config that knows the plugin's models and property files.

Load order (later wins): RecBole's defaults, RecBole's model/dataset files,
``properties/overall.yaml``, ``properties/rating.yaml`` (the plugin's rating
models only), ``properties/model/<Model>.yaml``,
``properties/dataset/<dataset>.yaml``, then the user's files, dict and command line.
"""
import functools
import os
import sys
from pathlib import Path

from recbole.config import Config as RecBoleConfig

from recbole_ganrs.registry import get_model


#: the key of a model's properties file that holds its --tune search space (benchmark/tuning.py)
SEARCH_SPACE = "search_space"


def properties_dir():
    """Folder of the plugin's YAML files: ``properties/`` beside the package, or installed inside it."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "properties", here / "properties"):
        if (candidate / "overall.yaml").is_file():
            return candidate
    raise FileNotFoundError("recbole_ganrs: properties/overall.yaml not found; reinstall the package")


def benchmark_split():
    """RecBole ``eval_args`` of ``properties/rating.yaml``: the one split every model of a benchmark uses."""
    import yaml

    with open(properties_dir() / "rating.yaml", encoding="utf-8") as f:
        return dict(yaml.safe_load(f)["eval_args"])


class Config(RecBoleConfig):
    """``recbole.config.Config`` that resolves plugin model names and loads plugin defaults.

    RecBole reads ``--key=value`` pairs from ``sys.argv`` whoever the caller is
    (pytest, Ray workers...); this Config reads only the ``cmd_args`` it is given.
    """

    def __init__(self, model=None, dataset=None, config_file_list=None, config_dict=None, cmd_args=()):
        self.cmd_args = list(cmd_args)
        super().__init__(model, dataset, config_file_list, config_dict)

    def _load_cmd_line(self):
        argv = sys.argv
        sys.argv = [argv[0], *self.cmd_args]
        try:
            return super()._load_cmd_line()
        finally:
            sys.argv = argv

    def _get_model_and_dataset(self, model, dataset):
        if model is None:
            model = self.external_config_dict.get("model")
            if model is None:
                raise KeyError("model must be given: argument, config file, config dict or command line")
        if isinstance(model, str):
            model_name, model_class = model, get_model(model)
        else:
            model_name, model_class = model.__name__, model
        if dataset is None:
            dataset = self.external_config_dict.get("dataset")
            if dataset is None:
                raise KeyError("dataset must be given: argument, config file, config dict or command line")
        return model_name, model_class, dataset

    def _load_internal_config_dict(self, model, model_class, dataset):
        RECBOLE_LOAD_INTERNAL(self, model, model_class, dataset)  # RecBole's own, not the patched one
        load_plugin_properties(self, model, model_class, dataset)


#: RecBole's ``Config._load_internal_config_dict`` as RecBole has it (:func:`patch_recbole_config` replaces it)
RECBOLE_LOAD_INTERNAL = RecBoleConfig._load_internal_config_dict


def load_plugin_properties(config, model, model_class, dataset):
    """Add the plugin's property files to ``config``'s internal dict (see the module's text for the order)."""
    from recbole_ganrs.models.base import RatingRecommender

    props = properties_dir()
    is_rating_model = isinstance(model_class, type) and issubclass(model_class, RatingRecommender)
    for path in (
        props / "overall.yaml",
        props / "rating.yaml" if is_rating_model else None,
        props / "model" / f"{model}.yaml",
        props / "dataset" / f"{dataset}.yaml",
    ):
        if path is not None and path.is_file():
            config._update_internal_config_dict(os.fspath(path))
    config.internal_config_dict.pop(SEARCH_SPACE, None)  # --tune's ranges (benchmark/tuning.py), not a setting


def patch_recbole_config():
    """RecBole's own Config loads a plugin model's property files as the plugin's Config does (so
    ``run_recbole(model="VDeepMF")`` trains with the plugin's defaults); RecBole's models keep RecBole's."""
    from recbole_ganrs.registry import plugin_model

    def load_internal(self, model, model_class, dataset):
        RECBOLE_LOAD_INTERNAL(self, model, model_class, dataset)
        if plugin_model(model) is model_class:
            load_plugin_properties(self, model, model_class, dataset)

    RecBoleConfig._load_internal_config_dict = load_internal


def recbole_defaults():
    """RecBole's overall defaults with the plugin's: what a ``recbole:`` value of the benchmark is checked against."""
    import recbole
    import yaml

    values = {}
    for path in (Path(recbole.__file__).parent / "properties" / "overall.yaml", properties_dir() / "overall.yaml",
                 properties_dir() / "rating.yaml", *sorted((properties_dir() / "model").glob("*.yaml"))):
        with open(path, encoding="utf-8") as f:
            values.update(yaml.safe_load(f) or {})
    values.pop(SEARCH_SPACE, None)
    return values


def model_defaults(model):
    """The defaults a model's settings start from, as the property files give them (RecBole's overall and model
    files, then the plugin's), without building a Config: what a ``search_space`` is checked against."""
    import recbole
    import yaml

    recbole_props, values = Path(recbole.__file__).parent / "properties", {}
    for path in (recbole_props / "overall.yaml", recbole_props / "model" / f"{model}.yaml",
                 properties_dir() / "overall.yaml", properties_dir() / "rating.yaml",
                 properties_dir() / "model" / f"{model}.yaml"):
        if path.is_file():
            with open(path, encoding="utf-8") as f:
                values.update(yaml.safe_load(f) or {})
    values.pop(SEARCH_SPACE, None)
    return values


def search_space(model):
    """The ``search_space`` mapping of ``properties/model/<model>.yaml`` ({} when the model has none)."""
    import yaml

    path = properties_dir() / "model" / f"{model}.yaml"
    if not path.is_file():
        return {}
    with open(path, encoding="utf-8") as f:
        return (yaml.safe_load(f) or {}).get(SEARCH_SPACE) or {}


@functools.cache  # ~150 YAML files, read once a process: --tune checks every search space against them
def recbole_setting_names():
    """Every key of RecBole's and the plugin's property files (overall, datasets, every model): the settings a
    ``recbole:`` entry or a ``search_space`` key can mean; any other key is most likely a typo."""
    import recbole
    import yaml

    names = set()
    for root in (Path(recbole.__file__).parent / "properties", properties_dir()):
        for path in sorted(root.rglob("*.yaml")):
            with open(path, encoding="utf-8") as f:
                values = yaml.safe_load(f)
            names.update(values if isinstance(values, dict) else {})
    return frozenset(names - {SEARCH_SPACE})
