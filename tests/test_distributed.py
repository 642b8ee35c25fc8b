"""Distributed generation: the blocks of users on Ray actors give the same bytes as this process's threads."""
import pytest

from recbole_ganrs.generator import GANRS
from recbole_ganrs.generator import pairing
from recbole_ganrs.generator.workers import LocalWorkers, RayWorkers
from tests.conftest import make_ratings


def test_ray_workers_need_a_ray_connection():
    ray = pytest.importorskip("ray")
    if ray.is_initialized():
        pytest.skip("a Ray connection is open")
    from recbole_ganrs.errors import GanrsError

    with pytest.raises(GanrsError, match="needs a Ray connection"):
        RayWorkers()


@pytest.fixture(scope="module")
def local_ray():
    ray = pytest.importorskip("ray")
    from recbole_ganrs.benchmark.runner import start_ray

    start_ray(cpus=2)
    yield ray
    ray.shutdown()


def test_a_sample_is_the_same_bytes_on_one_thread_two_threads_and_ray_actors(local_ray, monkeypatch):
    monkeypatch.setattr(pairing, "BLOCK_CANDIDATES", 4000)  # a dozen blocks, spread over the actors
    gen = GANRS(seed=0, gan_steps=200, embedding_epochs=2, progress=False).fit(
        make_ratings(n_users=100, n_items=120, per_user=30, seed=4))
    frames = []
    for workers in (LocalWorkers(1), LocalWorkers(2), RayWorkers(), RayWorkers(actors=3)):
        frames.append(gen.sample(users=300, items=120, ratings=6000, seed=3, workers=workers))
    assert all(f.equals(frames[0]) for f in frames[1:])
    assert len(frames[0]) == 6000 and frames[0]["rating"].nunique() > 2
