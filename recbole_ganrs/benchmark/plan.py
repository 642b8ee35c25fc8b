"""Which synthetic datasets a benchmark run makes, and in which report groups they appear.

- A normal run is a grid: generator x users x samples x std (x gan x embedding
  size for GANRS), all in one group.
- ``--paper SOURCE`` is the plan of Bobadilla & Gutierrez's paper on any source:
  Experiment 3 (GANRS with 2,000 and 8,000 users; 4,000 items; 800,000 draws),
  the samples sweep of Experiment 2 (2,000 users; 150K / 500K / 800K / 3M draws),
  and the comparison generators at the Experiment 3 sizes. The source is in every
  group; a dataset in several groups is made and trained once.
"""
from dataclasses import dataclass

from recbole_ganrs.generator import SampleRequest

PAPER_USERS = (2000, 8000)
PAPER_ITEMS = 4000
PAPER_SAMPLES = 800_000
PAPER_SWEEP = (150_000, 500_000, 800_000, 3_000_000)  # at PAPER_USERS[0]

GROUP_GRID = "synthetic datasets"
GROUP_USERS = "experiment 3 (users)"
GROUP_SAMPLES = "experiment 2 (samples)"
GROUP_GENERATORS = "generators"


@dataclass(frozen=True)
class SyntheticPlan:
    """One synthetic dataset to make: generator kind, its settings, the sample request, report groups."""

    generator: str
    settings: tuple  # its grid point: sorted (setting, value) pairs, e.g. (("embedding_size", 5), ("gan", "gan"))
    request: SampleRequest
    groups: tuple


def ganrs_settings(gan, embedding_size):
    return (("embedding_size", embedding_size), ("gan", gan))


def grid_plan(opts):
    plans = []
    for kind in opts.generators:
        variants = ([ganrs_settings(g, e) for g in opts.gan for e in opts.embedding_size] if kind == "ganrs"
                    else [()])
        for users in opts.users:
            for samples in opts.samples:
                for std in opts.std:
                    request = SampleRequest(users, opts.items, samples, std, opts.dataset_seed)
                    plans += [SyntheticPlan(kind, v, request, (GROUP_GRID,)) for v in variants]
    return plans


def paper_plan(opts):
    std, seed = opts.std[0], opts.dataset_seed
    ganrs = ganrs_settings(opts.gan[0], opts.embedding_size[0])
    groups = {}

    def add(kind, settings, users, samples, group):
        key = (kind, settings if kind == "ganrs" else (), SampleRequest(users, PAPER_ITEMS, samples, std, seed))
        groups.setdefault(key, []).append(group)

    for users in PAPER_USERS:
        add("ganrs", ganrs, users, PAPER_SAMPLES, GROUP_USERS)
    for samples in PAPER_SWEEP:
        add("ganrs", ganrs, PAPER_USERS[0], samples, GROUP_SAMPLES)
    for kind in opts.generators:
        for users in PAPER_USERS:
            add(kind, ganrs, users, PAPER_SAMPLES, GROUP_GENERATORS)
    return [SyntheticPlan(kind, settings, request, tuple(g)) for (kind, settings, request), g in groups.items()]


def dataset_plan(opts):
    """The run's synthetic datasets, in a stable order."""
    return paper_plan(opts) if getattr(opts, "paper", None) else grid_plan(opts)
