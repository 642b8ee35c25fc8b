"""Predictions of a trained RecBole model: on every test interaction, or on every item for a batch of users."""
from dataclasses import dataclass

import numpy as np
import torch
from recbole.data.interaction import Interaction

BATCH = 1 << 16
#: (user, item) scores held at once by :func:`full_scores`
FULL_SORT_CELLS = 1 << 22


@dataclass
class TestPredictions:
    """One row per test interaction: ids (RecBole's internal ones), the prediction, the model's tie-break
    score (None when it has none) and the requested fields of the test data."""

    users: np.ndarray
    items: np.ndarray
    scores: np.ndarray
    tie_break: object
    fields: dict


def _batches(inter, model, dataset=None):
    """Slices of ``inter`` on the model's device; with ``dataset``, joined with its item and user features (a
    context-aware model reads them, as RecBole's dataloaders join them)."""
    for start in range(0, len(inter), BATCH):
        batch = inter[start : start + BATCH]
        yield (batch if dataset is None else dataset.join(batch)).to(model.device)


def _numpy(parts):
    return np.concatenate([p.double().cpu().numpy().reshape(-1) for p in parts]) if parts else np.empty(0)


def _tie_break(model, batches):
    if not callable(getattr(model, "tie_break", None)):
        return None
    parts = [model.tie_break(batch) for batch in batches]
    return None if any(p is None for p in parts) else _numpy(parts)


@torch.no_grad()
def test_predictions(model, test_data, fields):
    """:class:`TestPredictions` over the test split, predicted in large batches."""
    dataset = test_data._dataset
    inter = dataset.inter_feat
    model.eval()
    scores = _numpy([model.predict(batch) for batch in _batches(inter, model, dataset)])
    return TestPredictions(users=inter[dataset.uid_field].numpy(), items=inter[dataset.iid_field].numpy(),
                           scores=scores, tie_break=_tie_break(model, _batches(inter, model, dataset)),
                           fields={f: inter[f].numpy() for f in fields if f in inter})


@torch.no_grad()
def full_scores(model, users):
    """Yields ``(users, scores, tie_break)`` for batches of ``users``: (batch x n_items) float64 matrices of
    every item's prediction (item 0, RecBole's padding, included) and the model's tie-break (or None)."""
    model.eval()
    n_items = model.n_items
    step = max(1, FULL_SORT_CELLS // n_items)
    for start in range(0, len(users), step):
        chunk = np.asarray(users[start : start + step])
        batch = Interaction({model.USER_ID: torch.as_tensor(chunk)}).to(model.device)
        scores = _numpy([model.full_sort_predict(batch)]).reshape(len(chunk), n_items)
        tie_break = None
        if callable(getattr(model, "tie_break", None)):
            pairs = Interaction({model.USER_ID: torch.as_tensor(chunk).repeat_interleave(n_items),
                                 model.ITEM_ID: torch.arange(n_items).repeat(len(chunk))})
            tie_break = _tie_break(model, _batches(pairs, model))
            tie_break = None if tie_break is None else tie_break.reshape(len(chunk), n_items)
        yield chunk, scores, tie_break
