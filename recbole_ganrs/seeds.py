"""The seed plan: every random stream is a named ``numpy.random.SeedSequence`` spawn of a seed.

A seed the user gives seeds a *role*, and each role's streams are spawns of it:
``stream(S, "sample", "pairing")`` is the child "pairing" of the child "sample" of
SeedSequence(S), a name's index in ``PLAN`` being its spawn key. So dataset seed 0 and
trial seed 0 share no stream, and the GAN noise, the clustering, the pairing and the
ratings of one sample are independent draws (one bare ``manual_seed(seed)`` each once
gave them the same numbers). The names live here and only here: a new stream is a new
name at the end of its role's tuple (appending keeps every other stream's numbers).
"""
import numpy as np
import torch

PLAN = {
    # a generator's fit seed (``GANRS(seed=S)``)
    "fit": ("embedding", "embedding_init", "gan_init", "gan_batches", "gan_noise", "real_sample",
            "rating_head", "rating_head_init", "cfgan", "cfgan_init", "cfgan_noise", "gan_labels",
            # a private fit (--dp-epsilon: generator/private.py)
            "dp_rows", "dp_users", "dp_noise", "dp_gan_rows", "dp_statistics"),
    # a sample request's seed (``sample(..., seed=S)``; the benchmark's dataset seed seeds fit and sample)
    "sample": ("noise", "user_clusters", "item_clusters", "assignment", "shape_assignment", "pairing",
               "ratings", "scenario", "subset", "statistical", "candidates", "donors"),
    # a benchmark trial seed (``--seeds``): RecBole's own seed (its split, init, batches), the tie keys, a cold split
    "trial": ("recbole", "ties", "split"),
    # a ceiling split (``--ceiling-splits``), the stand-in bootstrap, the structure measures' MF fit
    "halves": ("users", "holdout"),
    "bootstrap": ("draws", "permutations"),
    "measure": ("mf", "mf_init", "detection", "detection_folds", "detection_model", "holdout_dcr", "mf_users",
                "item_detection", "item_detection_folds", "item_detection_model", "detection_thinning",
                "item_detection_thinning", "membership_split", "membership_bootstrap", "shadow", "shadow_fit",
                "membership_control"),
    # --tune: the candidate configurations drawn from a model's search space (benchmark/tuning.py)
    "tune": ("candidates",),
}
ROLES = tuple(PLAN)


def sequence(seed, role, name, *index):
    """The SeedSequence of stream ``name`` of ``role`` under ``seed``; ``index`` (e.g. a user group's number)
    spawns one independent child stream per value."""
    if role not in PLAN or name not in PLAN[role]:
        raise KeyError(f"no stream {role}/{name} in the seed plan")
    key = (ROLES.index(role), PLAN[role].index(name), *(int(i) for i in index))
    return np.random.SeedSequence(int(seed), spawn_key=key)


def stream(seed, role, name, *index):
    """The stream's seed as one integer in 0..2**32-1 (for torch, scikit-learn, RecBole)."""
    return int(sequence(seed, role, name, *index).generate_state(1, np.uint32)[0])


def rng(seed, role, name, *index):
    """A numpy Generator on the stream."""
    return np.random.default_rng(sequence(seed, role, name, *index))


def torch_generator(seed, role, name, *index):
    """A CPU torch Generator on the stream."""
    return torch.Generator().manual_seed(stream(seed, role, name, *index))
