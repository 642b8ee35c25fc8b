"""Shared fixtures: tiny RecBole atomic datasets made inside the tests."""
import numpy as np
import pandas as pd
import pytest

import recbole_ganrs  # noqa: F401  (compatibility patches before recbole)
from recbole_ganrs.data import write_atomic


def make_ratings(n_users=60, n_items=40, per_user=15, scale=(1, 5), seed=0):
    """Ratings from a rank-2 latent model, rounded onto ``scale``: learnable, not random."""
    rng = np.random.default_rng(seed)
    u, v = rng.normal(size=(n_users, 2)), rng.normal(size=(n_items, 2))
    users = np.repeat(np.arange(n_users), per_user)
    items = np.concatenate([rng.choice(n_items, per_user, replace=False) for _ in range(n_users)])
    lo, hi = scale
    raw = (u[users] * v[items]).sum(1) + 0.3 * rng.normal(size=users.size)
    ratings = np.clip(np.round((lo + hi) / 2 + raw * (hi - lo) / 4), lo, hi)
    return pd.DataFrame({"user_id": users.astype(str), "item_id": items.astype(str), "rating": ratings})


def write_dataset(root, name, frame):
    """Write ``frame`` as ``root/name/name.inter``; returns the dataset folder."""
    write_atomic(root / name / f"{name}.inter", frame)
    return root / name


def generate_refusal(folder, extra, out, capsys):
    """The one error line of ``generate`` on ``folder`` (60 users, 60 items, 900 ratings) with ``extra`` flags,
    checked to exit 2 before any fit (no fit cache under ``out``)."""
    from recbole_ganrs.cli import main

    assert main(["generate", "--source", str(folder), "--users", "60", "--items", "60", "--ratings", "900",
                 "--out", str(out), "--quiet", *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and not (out / ".fits").exists()
    return err


@pytest.fixture
def tiny_dataset(tmp_path):
    """Folder of a 60-user x 40-item, 1..5 dataset (900 ratings)."""
    return write_dataset(tmp_path, "tiny", make_ratings())


@pytest.fixture
def tiny_config(tiny_dataset, tmp_path):
    """RecBole config entries for a fast run on ``tiny_dataset`` with outputs under tmp_path."""
    return {
        "dataset": "tiny",
        "data_path": str(tiny_dataset.parent),
        "checkpoint_dir": str(tmp_path / "saved"),
        "epochs": 2,
        "state": "WARNING",
    }
