"""Predictions of a trained RecBole model on every test interaction."""
import numpy as np
import torch

BATCH = 1 << 16


@torch.no_grad()
def test_predictions(model, test_data, fields):
    """(user ids, scores, {field: values}) over the test split, predicted in large batches."""
    inter = test_data._dataset.inter_feat
    model.eval()
    scores = np.concatenate([
        model.predict(inter[start : start + BATCH].to(model.device)).float().cpu().numpy()
        for start in range(0, len(inter), BATCH)
    ]) if len(inter) else np.empty(0)
    users = inter[model.USER_ID].numpy()
    return users, scores, {f: inter[f].numpy() for f in fields if f in inter}
