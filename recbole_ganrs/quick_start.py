"""Train and evaluate one model on one dataset with RecBole's flow (like ``run_recbole``)."""
import logging
import os
import time
from logging import getLogger

from recbole.data import create_dataset, data_preparation
from recbole.utils import init_logger, init_seed

from recbole_ganrs.config import Config
from recbole_ganrs.data import load_ratings
from recbole_ganrs.errors import SourceError
from recbole_ganrs.models.base import RatingRecommender
from recbole_ganrs.registry import get_model, get_trainer


def prepare(model=None, dataset=None, config_file_list=None, config_dict=None, cmd_args=()):
    """Config, dataset and the three RecBole dataloaders for one run."""
    config = Config(model, dataset, config_file_list, config_dict, cmd_args)
    parts = config["benchmark_filename"]  # a pre-split dataset (evaluation/splits.py): its training part is checked
    inter = os.path.join(config["data_path"], f"{config['dataset']}.{parts[0] + '.' if parts else ''}inter")
    if not os.path.isfile(inter):
        raise SourceError(f"dataset '{config['dataset']}' not found: no file {inter} (check data_path)")
    if issubclass(config.model_class, RatingRecommender):
        load_ratings(inter)  # refuses, in one line, what RecBole would fail on deep inside
    init_seed(config["seed"], config["reproducibility"])
    init_logger(config)
    data = create_dataset(config)
    if config["ganrs_saved_split"]:  # --split files:DIR: the parts a --save-splits trial wrote, ids as it had them
        from recbole_ganrs.evaluation.splits import build_from_saved

        folder, name = config["ganrs_saved_split"]
        data.build = lambda: build_from_saved(data, folder, name)
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
