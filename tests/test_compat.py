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
