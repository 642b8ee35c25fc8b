"""Predictions of a trained RecBole model on every test interaction."""
from dataclasses import dataclass

import numpy as np
import torch

BATCH = 1 << 16


@dataclass
class TestPredictions:
    """One row per test interaction: ids (RecBole's internal ones), the prediction, the model's tie-break
    score (None when it has none) and the requested fields of the test data."""

    users: np.ndarray
    items: np.ndarray
    scores: np.ndarray
    tie_break: object
    fields: dict


def _batches(inter, model):
    for start in range(0, len(inter), BATCH):
        yield inter[start : start + BATCH].to(model.device)


@torch.no_grad()
def test_predictions(model, test_data, fields):
    """:class:`TestPredictions` over the test split, predicted in large batches."""
    inter = test_data._dataset.inter_feat
    model.eval()
    to_numpy = lambda parts: np.concatenate([p.float().cpu().numpy() for p in parts]) if parts else np.empty(0)  # noqa: E731
    scores = to_numpy([model.predict(batch) for batch in _batches(inter, model)])
    tie_break = None
    if callable(getattr(model, "tie_break", None)):
        parts = [model.tie_break(batch) for batch in _batches(inter, model)]
        tie_break = None if any(p is None for p in parts) else to_numpy(parts)
    return TestPredictions(users=inter[model.USER_ID].numpy(), items=inter[model.ITEM_ID].numpy(),
                           scores=scores, tie_break=tie_break,
                           fields={f: inter[f].numpy() for f in fields if f in inter})
