import numpy as np

from recbole_ganrs import compat


def test_numpy_aliases_restored_for_recbole_and_ray():
    assert np.float_ is np.float64
    assert np.bool8 is np.bool_
    assert np.unicode_ is np.str_


def test_recbole_config_and_ray_tune_import():
    from recbole.config import Config  # noqa: F401  uses np.float_ on numpy 2
    import ray.tune.logger.tensorboardx  # noqa: F401  uses np.bool8 at import time


def test_ray_workers_get_the_same_patches():
    assert compat.ray_runtime_env()["worker_process_setup_hook"] is compat.setup_worker


def test_interaction_indexing_gives_recboles_rows():
    import torch
    from recbole.data.interaction import Interaction

    data = Interaction({"user_id": torch.arange(10) * 3, "rating": torch.linspace(1, 5, 10)})
    for index in ([4, 0, 9, 4], np.array([2, 7]), torch.tensor([1, 1, 8]), [], [i % 3 == 0 for i in range(10)],
                  slice(2, 6), 5):
        expected = {k: v[index.tolist() if isinstance(index, (np.ndarray, torch.Tensor)) else index]
                    for k, v in data.interaction.items()}
        got = data[index]
        for key, values in expected.items():
            assert torch.equal(got[key], values), (index, key)
    assert torch.equal(data["rating"], data.interaction["rating"])
