"""Which synthetic datasets a benchmark run makes, and in which report groups they appear.

- A normal run is a grid: generator x users x samples x std (x gan x embedding
  size for GANRS), all in one group.
- ``--paper SOURCE`` is the plan of Bobadilla & Gutierrez's paper on any source:
  Experiment 3 (GANRS with 2,000 and 8,000 users, 4,000 items, at Table IV's rating
  counts 353,269 and 509,193), the samples sweep of Experiment 2 (2,000 users;
  150K / 500K / 800K / 3M draws), and the comparison generators at the Experiment 3 sizes. The source is in every
  group; a dataset in several groups is made and trained once.
"""
import itertools
from dataclasses import dataclass

from recbole_ganrs.generator import SampleRequest
from recbole_ganrs.options import grid_settings

PAPER_USERS = (2000, 8000)
PAPER_ITEMS = 4000
PAPER_RATINGS = {2000: 353_269, 8000: 509_193}  # Table IV: the ratings of the 2,000- and 8,000-user datasets
PAPER_SWEEP = (150_000, 500_000, 800_000, 3_000_000)  # draws, at PAPER_USERS[0]

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


def ganrs_variants(opts, first_only=False):
    """The GANRS grid points: every combination of the grid settings' values (options.grid_settings), as sorted
    (setting, value) pairs; ``first_only``: the first value of each."""
    names = sorted(grid_settings())
    values = [getattr(opts, n)[:1] if first_only else getattr(opts, n) for n in names]
    return [tuple(zip(names, combination)) for combination in itertools.product(*values)]


def grid_plan(opts):
    plans = []
    scenario = opts.scenario_fields()
    for kind in opts.generators:
        variants = ganrs_variants(opts) if kind == "ganrs" else [()]
        sizes = [(None, r) for r in opts.ratings] if opts.ratings else [(s, None) for s in opts.samples]
        for users in opts.users:
            for samples, ratings in sizes:
                for std in opts.std:
                    for seed in replicate_seeds(opts):
                        request = SampleRequest(users, opts.items, samples, std, seed, ratings, **scenario,
                                                sampling=opts.sampling_choices(kind))
                        for point in scenario_points(opts, request):
                            plans += [SyntheticPlan(kind, with_seed(v, seed, opts), point, (scenario_group(opts),))
                                      for v in variants]
    return plans


def replicate_seeds(opts):
    """The dataset seeds: one independent fit and sample per seed (``--dataset-seeds``; default the first
    trial seed, as before replicates existed)."""
    return list(getattr(opts, "dataset_seeds", None) or [opts.dataset_seed])


def with_seed(settings, seed, opts):
    """A grid point with its replicate's fit seed (left out for the default seed, so names and fits stay)."""
    if seed == opts.dataset_seed:
        return settings
    return tuple(sorted((*settings, ("seed", seed))))


def scenario_group(opts):
    grid = getattr(opts, "scenario_grid", None)
    return f"scenario {grid.name}" if grid else GROUP_GRID


def scenario_points(opts, request):
    """``request`` at each value of the run's ``--scenario`` grid (itself when there is none)."""
    scenario = getattr(opts, "scenario_grid", None)
    if not scenario:
        return [request]
    return [scenario.apply(request, value) for value in scenario.values]


def paper_plan(opts):
    std = opts.std[0]
    ganrs = ganrs_variants(opts, first_only=True)[0]
    groups = {}

    def add(kind, settings, users, group, samples=None, ratings=None):
        for seed in replicate_seeds(opts):
            request = SampleRequest(users, PAPER_ITEMS, samples, std, seed, ratings,
                                    sampling=opts.sampling_choices(kind))
            point = with_seed(settings if kind == "ganrs" else (), seed, opts)
            groups.setdefault((kind, point, request), []).append(group)

    for users, ratings in PAPER_RATINGS.items():
        add("ganrs", ganrs, users, GROUP_USERS, ratings=ratings)
    for samples in PAPER_SWEEP:
        add("ganrs", ganrs, PAPER_USERS[0], GROUP_SAMPLES, samples=samples)
    for kind in opts.generators:
        for users, ratings in PAPER_RATINGS.items():
            add(kind, ganrs, users, GROUP_GENERATORS, ratings=ratings)
    return [SyntheticPlan(kind, settings, request, tuple(g)) for (kind, settings, request), g in groups.items()]


def dataset_plan(opts):
    """The run's synthetic datasets, in a stable order."""
    return paper_plan(opts) if getattr(opts, "paper", None) else grid_plan(opts)
