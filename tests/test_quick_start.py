import torch

from recbole_ganrs.quick_start import run


def test_deepmf_from_yaml_trains_and_evaluates_on_ml_100k(tmp_path):
    yaml_file = tmp_path / "deepmf.yaml"
    yaml_file.write_text(f"model: DeepMF\ndataset: ml-100k\nepochs: 2\ncheckpoint_dir: {tmp_path}\nstate: WARNING\n")
    result = run(config_file_list=[str(yaml_file)])
    rmse = result["test_result"]["rmse"]
    assert 0.8 < rmse < 1.3  # a real fit on 1..5 ratings (a constant 3.5 scores ~1.13)
    assert set(result["test_result"]) == {"rmse", "mae"}


def test_a_checkpoint_of_the_plugin_flow_loads_with_recbole(tiny_config, tmp_path):
    from recbole.quick_start import load_data_and_model

    result = run("DeepMF", config_dict=tiny_config)
    (checkpoint,) = (tmp_path / "saved").glob("DeepMF-*.pth")
    config, model, *_ = load_data_and_model(str(checkpoint))  # weights-only, with RecBole's safe globals
    assert config["model"] == "DeepMF"
    assert torch.equal(model.user_embedding.weight, result["model"].user_embedding.weight)  # the best one


def test_recbole_builtin_model_still_runs_by_name(tiny_config):
    result = run("BPR", config_dict=tiny_config)
    assert "ndcg@10" in result["test_result"]
