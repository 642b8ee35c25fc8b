"""Where a sample's blocks of users run: in this process (a thread per core) or on Ray actors.

Both hold the blocks (``pairing.CandidateBlock``) and answer the same three calls: ``build``
the blocks from their specs, ``total`` (an exact integer sum over the blocks of what a block
method returns: the Sinkhorn column sums) and ``collect`` (what each block returns, in block
order). A block's arithmetic is single-threaded torch wherever it runs, and the sums are of
integers, so a sample is the same bits on one thread, two, or a Ray cluster of any size.
"""
import contextlib
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

from recbole_ganrs.errors import GanrsError
from recbole_ganrs.generator.pairing import CandidateBlock
from recbole_ganrs.limits import cores


@contextlib.contextmanager
def single_threaded_torch():
    """torch's own ops on one thread while the blocks run (the threads run blocks side by side instead)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _call(block, method, args):
    return getattr(block, method)(*args)


class LocalWorkers:
    """The blocks in this process, run ``threads`` at a time (torch releases the GIL)."""

    def __init__(self, threads=None):
        self.threads = threads or cores()
        self.blocks = []

    def __repr__(self):
        return f"{self.threads} thread(s)"

    def _map(self, fn, items):
        with single_threaded_torch(), ThreadPoolExecutor(self.threads) as pool:
            return list(pool.map(fn, items))

    def build(self, specs, affinity, prior, seed):
        self.blocks = self._map(lambda spec: CandidateBlock(spec, affinity, prior, seed), specs)

    def total(self, method, *args):
        return sum(self._map(lambda block: _call(block, method, args), self.blocks))

    def collect(self, method, *args):
        return self._map(lambda block: _call(block, method, args), self.blocks)

    def close(self):
        self.blocks = []


class _BlockActor:
    """A Ray actor holding a contiguous run of blocks (one CPU: its blocks one after the other)."""

    def __init__(self):
        torch.set_num_threads(1)
        self.blocks = []

    def build(self, specs, affinity, prior, seed):
        self.blocks = [CandidateBlock(spec, affinity, prior, seed) for spec in specs]
        return len(self.blocks)

    def total(self, method, *args):
        return sum(_call(block, method, args) for block in self.blocks)

    def collect(self, method, *args):
        return [_call(block, method, args) for block in self.blocks]


class RayWorkers:
    """The blocks on Ray actors, one per CPU of the cluster ``ray.init`` joined (at most one per block).
    ``actors`` more than the CPUs share them (each asks for a fraction of one): all must run at once, since
    every scaling step waits for each of them."""

    def __init__(self, actors=None):
        import ray

        if not ray.is_initialized():
            raise GanrsError("distributed generation needs a Ray connection (--address HOST:PORT)")
        self.ray = ray
        cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
        self.n_actors = actors or cpus
        self.cpus_per_actor = min(1.0, cpus / self.n_actors)
        self.actors = []

    def __repr__(self):
        return f"{len(self.actors)} Ray actor(s)"

    def build(self, specs, affinity, prior, seed):
        actor_class = self.ray.remote(num_cpus=self.cpus_per_actor)(_BlockActor)
        runs = np.array_split(np.arange(len(specs)), min(self.n_actors, len(specs)))
        self.actors = [actor_class.remote() for _ in runs]
        shared = self.ray.put(affinity), self.ray.put(prior)
        self.ray.get([actor.build.remote([specs[i] for i in run], *shared, seed) for actor, run in zip(self.actors, runs)])

    def total(self, method, *args):
        return sum(self.ray.get([actor.total.remote(method, *args) for actor in self.actors]))

    def collect(self, method, *args):
        refs = [self.ray.put(a) for a in args]  # sent once, not once per actor
        return [x for part in self.ray.get([actor.collect.remote(method, *refs) for actor in self.actors])
                for x in part]

    def close(self):
        for actor in self.actors:
            self.ray.kill(actor)
        self.actors = []
