import sys

import pytest

from recbole_ganrs import Config, get_model
from recbole_ganrs.errors import UnknownModelError
from recbole_ganrs.models import DeepMF


def test_plugin_model_gets_rating_defaults_and_its_properties(tiny_config):
    config = Config("DeepMF", config_dict=tiny_config)
    assert config["model"] == "DeepMF"
    assert config["init_scale"] == 1.0  # properties/model/DeepMF.yaml
    assert config["train_neg_sample_args"]["distribution"] == "none"  # properties/rating.yaml
    assert config["eval_args"]["mode"]["valid"] == "labeled"
    assert config["normalize_all"] is False


def test_recbole_model_keeps_recbole_defaults(tiny_config):
    config = Config("BPR", config_dict=tiny_config)
    assert config["train_neg_sample_args"]["distribution"] == "uniform"
    assert "init_scale" not in config


def test_model_name_from_yaml(tiny_config, tmp_path):
    yaml_file = tmp_path / "run.yaml"
    yaml_file.write_text("model: VDeepMF\nembedding_size: 7\n")
    config = Config(config_file_list=[str(yaml_file)], config_dict=tiny_config)
    assert config["model"] == "VDeepMF" and config["embedding_size"] == 7


def test_user_config_overrides_plugin_defaults(tiny_config):
    assert Config("DeepMF", config_dict={**tiny_config, "init_scale": 0.3})["init_scale"] == 0.3


def test_sys_argv_is_not_read_but_cmd_args_are(tiny_config, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["pytest", "--embedding_size=99"])
    assert Config("DeepMF", config_dict=tiny_config)["embedding_size"] == 10
    assert Config("DeepMF", config_dict=tiny_config, cmd_args=["--embedding_size=3"])["embedding_size"] == 3


def test_get_model_resolves_plugin_then_recbole():
    assert get_model("DeepMF") is DeepMF
    assert get_model("BPR").__module__.startswith("recbole.model")
    with pytest.raises(UnknownModelError, match="unknown model 'Nope'"):
        get_model("Nope")
