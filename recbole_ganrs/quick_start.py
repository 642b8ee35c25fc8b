"""Train and evaluate one model on one dataset with RecBole's flow (like ``run_recbole``)."""
import collections
import glob
import logging
import os
import time
from logging import getLogger

from recbole.data import create_dataset, data_preparation
from recbole.utils import init_logger, init_seed

from recbole_ganrs.config import Config
from recbole_ganrs.data import load_ratings
from recbole_ganrs.errors import SourceError
from recbole_ganrs.files import json_digest
from recbole_ganrs.models.base import RatingRecommender
from recbole_ganrs.registry import get_model, get_trainer


#: the built datasets a process keeps (a Ray trial worker runs many trials, and the models, seeds and --tune
#: candidates of a dataset share its split): {key: (dataset, (train, valid, test))}, the latest last
BUILT = collections.OrderedDict()
BUILT_KEPT = 4  # datasets kept at once: a run's trials go dataset by dataset, seed by seed


def built_key(config):
    """What RecBole builds a dataset and its split from: the settings it checks before reusing a saved dataset
    and saved dataloaders (``dataset_arguments``, seed, ``eval_args``), the dataset class, and every file it
    reads (the dataset's atomic files, a saved split's parts) as they are now: path, size, modification time."""
    from recbole.utils.argument_list import dataset_arguments

    import recbole.data.dataset as datasets

    kind = config["model"] if hasattr(datasets, f"{config['model']}Dataset") else str(config["MODEL_TYPE"])
    settings = [config[a] for a in [*dataset_arguments, "seed", "repeatable", "eval_args", "numerical_features",
                                    "ganrs_saved_split"]]
    files = glob.glob(os.path.join(glob.escape(config["data_path"]), glob.escape(config["dataset"]) + ".*"))
    if config["ganrs_saved_split"]:
        files += glob.glob(os.path.join(glob.escape(config["ganrs_saved_split"][0]), "*"))
    stats = [(os.path.abspath(f), s.st_size, s.st_mtime_ns) for f, s in ((f, os.stat(f)) for f in sorted(files))]
    return json_digest([repr(settings), kind, config["dataset"], stats])


def built_dataset(config, inter):
    """(dataset, its train / valid / test parts): built once per :func:`built_key` in this process. RecBole seeds
    again before it makes a model, so a trial on a kept split gives the numbers of one that built it."""
    key = built_key(config)
    if key in BUILT:
        BUILT.move_to_end(key)
        return BUILT[key]
    if issubclass(config.model_class, RatingRecommender):
        load_ratings(inter)  # refuses, in one line, what RecBole would fail on deep inside
    data = create_dataset(config)
    if config["ganrs_saved_split"]:  # --split files:DIR: the parts a --save-splits trial wrote, ids as it had them
        from recbole_ganrs.evaluation.splits import build_from_saved

        folder, name = config["ganrs_saved_split"]
        parts = build_from_saved(data, folder, name)
    else:
        parts = data.build()
    BUILT[key] = data, parts
    while len(BUILT) > BUILT_KEPT:
        BUILT.popitem(last=False)
    return data, parts


def prepare(model=None, dataset=None, config_file_list=None, config_dict=None, cmd_args=()):
    """Config, dataset and the three RecBole dataloaders for one run (the dataset and its split kept by
    :func:`built_dataset`; the dataloaders made anew, as they hold the run's own settings and random state)."""
    config = Config(model, dataset, config_file_list, config_dict, cmd_args)
    parts = config["benchmark_filename"]  # a pre-split dataset (evaluation/splits.py): its training part is checked
    inter = os.path.join(config["data_path"], f"{config['dataset']}.{parts[0] + '.' if parts else ''}inter")
    if not os.path.isfile(inter):
        raise SourceError(f"dataset '{config['dataset']}' not found: no file {inter} (check data_path)")
    init_seed(config["seed"], config["reproducibility"])
    init_logger(config)
    data, built = built_dataset(config, inter)
    data.build = lambda: built  # data_preparation splits by calling build(): hand it the kept parts
    train_data, valid_data, test_data = data_preparation(config, data)
    return config, data, train_data, valid_data, test_data


def run(model=None, dataset=None, config_file_list=None, config_dict=None, cmd_args=(), saved=True, verbose=True,
        test=True, on_validation=None):
    """Train ``model`` on ``dataset`` and evaluate it; returns RecBole's result dict
    (best_valid_score, valid_score_bigger, best_valid_result, test_result), plus the
    fitted ``model`` (its best checkpoint), ``config``, ``train_data``, ``valid_data``, ``test_data``, the validation
    score of every epoch (``valid_curve``) for further evaluation and the seconds spent preparing the data
    (config, dataset, split, dataloaders) and training (``seconds``).

    ``cmd_args`` are RecBole-style ``--key=value`` overrides; ``test=False`` skips
    RecBole's own test metrics (``test_result`` is then None); ``on_validation(epoch, parts)``, if given, is called
    after every validation with the model as it is then (``parts``: ``model``, ``config``, ``train_data``,
    ``valid_data``)."""
    start = time.perf_counter()
    config, data, train_data, valid_data, test_data = prepare(
        model, dataset, config_file_list, config_dict, cmd_args
    )
    prepared = time.perf_counter()
    logger = getLogger()
    if not verbose:
        logger.setLevel(logging.WARNING)
    logger.info(config)
    logger.info(data)
    init_seed(config["seed"], config["reproducibility"])
    recommender = get_model(config["model"])(config, train_data._dataset).to(config["device"])
    logger.info(recommender)
    trainer = get_trainer(config["MODEL_TYPE"], config["model"])(config, recommender)
    parts = {"model": recommender, "config": config, "train_data": train_data, "valid_data": valid_data}
    best_valid_score, best_valid_result = trainer.fit(
        train_data, valid_data, saved=saved, show_progress=config["show_progress"],
        callback_fn=(lambda epoch, score: on_validation(epoch, parts)) if on_validation else None,
    )
    if test:
        test_result = trainer.evaluate(test_data, load_best_model=saved, show_progress=config["show_progress"])
    else:
        test_result = None
        if saved:
            trainer.load_best_model()
    seconds = {"prepare": prepared - start, "train": time.perf_counter() - prepared}
    logger.info(f"best valid: {best_valid_result}")
    logger.info(f"test result: {test_result}")
    return {
        "best_valid_score": best_valid_score,
        "valid_score_bigger": config["valid_metric_bigger"],
        "best_valid_result": best_valid_result,
        "test_result": test_result,
        "model": recommender,
        "config": config,
        "test_data": test_data,
        "train_data": train_data,
        "valid_data": valid_data,
        "valid_curve": list(trainer.valid_curve),
        "seconds": seconds,
    }
