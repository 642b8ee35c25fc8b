"""Distributed generation on a real Ray cluster: a `ray start --head` node and a worker node started on this
machine (loopback only), joined with --address as a user would; the sample is the same bytes as on one thread."""
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from recbole_ganrs.generator import GANRS, pairing
from recbole_ganrs.generator.workers import LocalWorkers, RayWorkers
from tests.conftest import make_ratings

ray = pytest.importorskip("ray")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ray_command():
    found = Path(sys.executable).with_name("ray")
    return str(found) if found.exists() else shutil.which("ray")


@pytest.fixture
def cluster(tmp_path):
    """A head node and a worker node of one CPU each, each a `ray start --block` process stopped by its PID."""
    if ray.is_initialized():
        ray.shutdown()
    port = free_port()
    address = f"127.0.0.1:{port}"
    common = ["--num-cpus=1", "--block", "--disable-usage-stats"]
    log = open(tmp_path / "ray.log", "w")
    nodes = [subprocess.Popen([ray_command(), "start", "--head", f"--port={port}", "--node-ip-address=127.0.0.1",
                               "--include-dashboard=false", *common], stdout=log, stderr=subprocess.STDOUT)]
    try:
        time.sleep(5)
        nodes.append(subprocess.Popen([ray_command(), "start", f"--address={address}",
                                       "--node-ip-address=127.0.0.1", *common], stdout=log, stderr=subprocess.STDOUT))
        from recbole_ganrs.benchmark.runner import start_ray

        start_ray(address)
        deadline = time.monotonic() + 90
        while ray.cluster_resources().get("CPU", 0) < 2:  # the worker node joins
            assert time.monotonic() < deadline, (tmp_path / "ray.log").read_text()[-2000:]
            time.sleep(1)
        yield address
    finally:
        ray.shutdown()
        for node in reversed(nodes):
            node.terminate()
            try:
                node.wait(60)
            except subprocess.TimeoutExpired:
                node.kill()
        log.close()


def test_a_head_and_a_worker_node_give_the_same_bytes_as_one_thread(cluster, monkeypatch):
    monkeypatch.setattr(pairing, "BLOCK_CANDIDATES", 4000)  # planned here: a dozen blocks over the two nodes
    gen = GANRS(seed=0, gan_steps=200, embedding_epochs=2, progress=False).fit(
        make_ratings(n_users=100, n_items=120, per_user=30, seed=4))
    on_cluster = gen.sample(users=300, items=120, ratings=6000, seed=3, workers=RayWorkers())
    nodes = {node["NodeID"] for node in ray.nodes() if node["Alive"]}
    here = gen.sample(users=300, items=120, ratings=6000, seed=3, workers=LocalWorkers(1))
    assert len(nodes) == 2 and on_cluster.equals(here) and len(here) == 6000
