"""RecBole's own entry points in the plugin's environment (torch >= 2.6, numpy 2) once ``recbole_ganrs`` is
imported: ``run_recbole`` with its saved checkpoints, ``load_data_and_model``, ``Trainer.resume_checkpoint``,
``objective_function`` in a Ray Tune search, the plugin's models by name, and foreign pickles still refused.
(``run_recboles`` is RecBole's multi-GPU entry, NCCL only: it saves and loads through the same two methods.)"""
import os
import pickle
import subprocess
import sys

import pytest
import torch
from recbole.quick_start import load_data_and_model, objective_function, run_recbole
from recbole.utils import get_model, get_trainer

from recbole_ganrs import models
from recbole_ganrs.compat import quiet_known_warnings
from recbole_ganrs.checkpoints import CheckpointError
from recbole_ganrs.trainer import ValidCurveMixin

QUIET = {"state": "WARNING", "show_progress": False}


def only_checkpoint(folder):
    (checkpoint,) = folder.glob("*.pth")
    return checkpoint


def test_run_recbole_saves_and_reloads_recbole_checkpoints(tiny_config, tmp_path):
    result = run_recbole(model="BPR", config_dict={**tiny_config, **QUIET})  # saved=True: RecBole's default
    assert "ndcg@10" in result["test_result"]
    checkpoint = only_checkpoint(tmp_path / "saved")
    config, model, dataset, *_ = load_data_and_model(str(checkpoint))
    assert config["model"] == "BPR" and type(model).__name__ == "BPR"
    saved = torch.load(checkpoint, weights_only=False)  # the test's own file: read it plainly to compare
    assert torch.equal(model.user_embedding.weight, saved["state_dict"]["user_embedding.weight"])


def test_a_plugin_model_runs_through_recbole_from_a_yaml(tiny_config, tmp_path):
    yaml_file = tmp_path / "my.yaml"
    yaml_file.write_text("model: VDeepMF\n")
    result = run_recbole(config_file_list=[str(yaml_file)], config_dict={**tiny_config, **QUIET})
    assert set(result["test_result"]) == {"rmse", "mae"}  # the plugin's rating defaults, not RecBole's ranking
    config, model, *_ = load_data_and_model(str(only_checkpoint(tmp_path / "saved")))
    assert type(model) is models.VDeepMF
    assert config["init_scale"] == 1.0 and config["stopping_step"] == 5  # properties/model/VDeepMF.yaml


def test_recbole_resolves_plugin_models_and_keeps_its_own():
    assert get_model("VDeepMF") is models.VDeepMF
    assert issubclass(get_trainer(models.VDeepMF.type, "VDeepMF"), ValidCurveMixin)
    assert not issubclass(get_trainer(get_model("BPR").type, "BPR"), ValidCurveMixin)
    with pytest.raises(ValueError):
        get_model("NoSuchModel")


def test_a_recbole_model_keeps_recbole_defaults(tiny_config):
    from recbole.config import Config

    config = Config(model="BPR", config_dict=tiny_config)
    assert config["embedding_size"] == 64 and config["metrics"] != ["RMSE", "MAE"]  # not the plugin's


def test_a_trainer_resumes_from_a_recbole_checkpoint(tiny_config, tmp_path):
    run_recbole(model="BPR", config_dict={**tiny_config, **QUIET})
    checkpoint = only_checkpoint(tmp_path / "saved")
    config, model, *_ = load_data_and_model(str(checkpoint))
    trainer = get_trainer(config["MODEL_TYPE"], config["model"])(config, model)
    trainer.resume_checkpoint(checkpoint)
    assert trainer.start_epoch == torch.load(checkpoint, weights_only=False)["epoch"] + 1


@pytest.mark.slow
def test_objective_function_in_a_ray_tune_search(tiny_config, tmp_path):
    """RecBole's run_hyper.py --tool Ray: objective_function as Tune's trainable, two learning rates."""
    from ray import tune

    from recbole_ganrs.benchmark.runner import start_ray

    start_ray(cpus=1)
    base = {**tiny_config, **QUIET, "model": "BPR"}
    analysis = tune.run(tune.with_parameters(objective_function),
                        config={**base, "learning_rate": tune.grid_search([0.001, 0.01])},
                        storage_path=str(tmp_path / "ray"), verbose=0, resources_per_trial={"cpu": 1})
    assert sorted(t.status for t in analysis.trials) == ["TERMINATED", "TERMINATED"]
    assert all("ndcg@10" in t.last_result["test_result"] for t in analysis.trials)  # its checkpoint reloaded


class Payload:
    """What a malicious checkpoint runs when it is unpickled."""

    def __reduce__(self):
        return os.system, ("echo pwned",)


def test_a_foreign_pickle_is_still_refused(tiny_config, tmp_path):
    run_recbole(model="BPR", config_dict={**tiny_config, **QUIET})
    checkpoint = only_checkpoint(tmp_path / "saved")
    evil = tmp_path / "evil.pth"
    torch.save({**torch.load(checkpoint, weights_only=False), "other_parameter": Payload()}, evil)
    with pytest.raises(pickle.UnpicklingError, match="system"):
        load_data_and_model(str(evil))
    with pytest.raises(pickle.UnpicklingError):
        torch.load(evil)  # torch's own default is unchanged


def test_a_checkpoint_of_unpatched_recbole_is_one_clear_error(tiny_config, tmp_path):
    run_recbole(model="BPR", config_dict={**tiny_config, **QUIET})
    checkpoint = only_checkpoint(tmp_path / "saved")
    torch.save(torch.load(checkpoint, weights_only=False), checkpoint, pickle_protocol=4)  # as RecBole writes it
    with pytest.raises(CheckpointError, match="pickle protocol 4"):
        load_data_and_model(str(checkpoint))


@pytest.mark.slow
def test_the_readme_three_lines_in_a_fresh_process(tmp_path):
    """The issue's reproduction as a user types it: ml-100k inside recbole, one epoch, saved=True."""
    code = ("import recbole_ganrs\nfrom recbole.quick_start import run_recbole\n"
            "r = run_recbole(model='BPR', dataset='ml-100k', config_dict={'epochs': 1, 'state': 'WARNING'})\n"
            "print('NDCG', r['test_result']['ndcg@10'])\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "NDCG" in done.stdout


def test_a_float_seq_field_normalises_without_pandas_warnings(tiny_dataset, tiny_config):
    """RecBole splits a float_seq field on Series.agg(len), deprecated in pandas 2: the values must still be right
    (each row min-max scaled over all rows, its own length kept) and the user sees no FutureWarning."""
    import warnings

    from recbole.config import Config
    from recbole.data import create_dataset

    (tiny_dataset / "tiny.item").write_text("item_id:token\tvec:float_seq\n0\t1 3\n1\t5\n2\t2 4 9\n")
    config = Config(model="BPR", config_dict={**tiny_config, "load_col": {"inter": ["user_id", "item_id"],
                                                                          "item": ["item_id", "vec"]},
                                              "normalize_field": ["vec"]})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        quiet_known_warnings()  # what `import recbole_ganrs` sets in a user's process (pytest resets filters per test)
        data = create_dataset(config)
    assert not [str(w.message) for w in caught if issubclass(w.category, FutureWarning)]
    vec = data.item_feat["vec"]  # rows padded with zeros to the longest
    row = {token: vec[data.token2id("item_id", token)].tolist() for token in ("0", "2")}
    assert row["0"][:2] == pytest.approx([0.0, 0.25]) and row["2"] == pytest.approx([0.125, 0.375, 1.0])
