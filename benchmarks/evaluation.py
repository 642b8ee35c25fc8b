"""Evaluation benchmark: time to rank and score one trained model's predictions under each protocol.

    python benchmarks/evaluation.py                          # ml-100k-like (943 x 1,682) and 8,000 x 4,000
    python benchmarks/evaluation.py --sizes 20000x10000      # users x items

Scores are random (rounded to 0.01 so that ties occur, as a classifier's votes do); each user has 30% of
5% of the items as test items. Prints, per size: the paper protocol (rank the test rows, top lists, every
metric at N = 2..10, two q values) and the full protocol's ranking of every item (top max(N) of each
user's unrated items, in batches as the trial does), with the users x items cells ranked per second.
"""
import argparse
import time

import numpy as np
from tabulate import tabulate

from recbole_ganrs.evaluation import evaluate_lists, preference, tie_keys, top_k_columns, within_user_rank
from recbole_ganrs.evaluation.predict import FULL_SORT_CELLS
from recbole_ganrs.evaluation.protocols import _test_ranking

NS = [2, 4, 6, 8, 10]


def test_rows(users, items, rng, density=0.05, test_share=0.3):
    per_user = max(1, int(items * density * test_share))
    u = np.repeat(np.arange(1, users + 1), per_user)
    i = np.concatenate([rng.choice(np.arange(1, items + 1), per_user, replace=False) for _ in range(users)])
    return u, i, rng.integers(1, 6, len(u)).astype(float)


def paper_time(users, items, rng):
    u, i, ratings = test_rows(users, items, rng)
    scores = np.round(rng.uniform(1, 5, len(u)), 2)
    start = time.perf_counter()
    rank = within_user_rank(u, scores, None, preference("random", u, i, 0))
    pred = type("P", (), {"users": u, "items": i, "scores": scores})
    ranking = _test_ranking(pred, rank, max(NS))
    for q in (4.0, 5.0):
        evaluate_lists(ranking.lists(ratings >= q), NS)
    return time.perf_counter() - start, len(u)


def full_time(users, items, rng):
    step = max(1, FULL_SORT_CELLS // items)
    start = time.perf_counter()
    for first in range(1, users + 1, step):
        chunk = np.arange(first, min(users + 1, first + step))
        scores = np.round(rng.uniform(1, 5, (len(chunk), items)), 2)
        scores[rng.random(scores.shape) < 0.05] = -np.inf  # the training items
        keys = tie_keys(chunk[:, None], np.arange(items)[None, :], 0).astype(np.float64)
        top_k_columns(scores, max(NS), None, keys)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["943x1682", "8000x4000"])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rows = []
    for size in args.sizes:
        users, items = map(int, size.lower().split("x"))
        rng = np.random.default_rng(args.seed)
        paper, n_test = paper_time(users, items, rng)
        full = full_time(users, items, rng)
        rows.append([f"{users:,} x {items:,}", f"{n_test:,}", f"{paper:.2f}", f"{full:.2f}",
                     f"{users * items / full / 1e6:.1f}"])
    print(tabulate(rows, headers=["users x items", "test rows", "paper protocol s", "full ranking s",
                                  "full: M cells/s"], tablefmt="github"))


if __name__ == "__main__":
    main()
