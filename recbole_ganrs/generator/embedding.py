"""Stage 1 of GANRS: dense user and item embeddings from a DeepMF fit.

rating ~ user_emb . item_emb, learnt by MSE (reference: latent size 5, Adam,
10 epochs). Large batches keep it to seconds on CPU; a held-out share of the
ratings gives an honest RMSE of the embedding model.
"""
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from recbole_ganrs.seeds import stream, torch_generator


@dataclass
class EmbeddingFit:
    """Learnt embeddings (row k = index k of the encoded ids) and the fit's quality."""

    users: np.ndarray
    items: np.ndarray
    train_rmse: float
    holdout_rmse: float


class DotProductMF(nn.Module):
    def __init__(self, n_users, n_items, size, init_scale):
        super().__init__()
        self.users = nn.Embedding(n_users, size)
        self.items = nn.Embedding(n_items, size)
        # positive uniform start, as Keras' Embedding: dot products begin near the rating scale
        nn.init.uniform_(self.users.weight, 0.0, init_scale)
        nn.init.uniform_(self.items.weight, 0.0, init_scale)

    def forward(self, u, i):
        return (self.users(u) * self.items(i)).sum(-1)


def _rmse(model, u, i, r):
    with torch.no_grad():
        return float(torch.sqrt(torch.mean((model(u, i) - r) ** 2))) if len(r) else float("nan")


def fit_embeddings(user_idx, item_idx, ratings, n_users, n_items, size=5, epochs=20,
                   batch_size=256, learning_rate=0.005, holdout=0.1, seed=0, progress=True, device="cpu"):
    """Train a dot-product MF on (user_idx, item_idx, rating) arrays; return its embeddings."""
    gen = torch_generator(seed, "fit", "embedding")
    u = torch.as_tensor(user_idx, dtype=torch.long, device=device)
    i = torch.as_tensor(item_idx, dtype=torch.long, device=device)
    r = torch.as_tensor(ratings, dtype=torch.float32, device=device)
    order = torch.randperm(len(r), generator=gen)
    n_hold = int(len(r) * holdout)
    hold, train = order[:n_hold], order[n_hold:]
    init_scale = float(np.sqrt(max(r.mean().item(), 1e-3) / size) * 2)
    torch.manual_seed(stream(seed, "fit", "embedding_init"))
    model = DotProductMF(n_users, n_items, size, init_scale).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=learning_rate)
    bar = tqdm(range(epochs), desc="embedding (DeepMF)", disable=None if progress else True, leave=False)
    for _ in bar:
        perm = train[torch.randperm(len(train), generator=gen)].to(device)
        for start in range(0, len(perm), batch_size):
            b = perm[start : start + batch_size]
            loss = torch.mean((model(u[b], i[b]) - r[b]) ** 2)
            opt.zero_grad()
            loss.backward()
            opt.step()
        bar.set_postfix(holdout_rmse=f"{_rmse(model, u[hold], i[hold], r[hold]):.3f}")
    return EmbeddingFit(
        users=model.users.weight.detach().cpu().numpy().copy(),
        items=model.items.weight.detach().cpu().numpy().copy(),
        train_rmse=_rmse(model, u[train], i[train], r[train]),
        holdout_rmse=_rmse(model, u[hold], i[hold], r[hold]),
    )
