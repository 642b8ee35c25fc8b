import torch

from recbole_ganrs.quick_start import run


def test_deepmf_from_yaml_trains_and_evaluates_on_ml_100k(tmp_path):
    yaml_file = tmp_path / "deepmf.yaml"
    yaml_file.write_text(f"model: DeepMF\ndataset: ml-100k\nepochs: 2\ncheckpoint_dir: {tmp_path}\nstate: WARNING\n")
    result = run(config_file_list=[str(yaml_file)])
    rmse = result["test_result"]["rmse"]
    assert 0.8 < rmse < 1.3  # a real fit on 1..5 ratings (a constant 3.5 scores ~1.13)
    assert set(result["test_result"]) == {"rmse", "mae"}


def test_checkpoint_is_a_state_dict_loadable_weights_only(tiny_config, tmp_path):
    run("DeepMF", config_dict=tiny_config)
    (checkpoint,) = (tmp_path / "saved").glob("DeepMF-*.pth")
    state = torch.load(checkpoint, weights_only=True)
    assert state["model"] == "DeepMF"
    assert "user_embedding.weight" in state["state_dict"]


def test_recbole_builtin_model_still_runs_by_name(tiny_config):
    result = run("BPR", config_dict=tiny_config)
    assert "ndcg@10" in result["test_result"]
