"""VDeepMF: DeepMF with variational user and item factors.

Each embedding goes through a mean and a log-variance layer; training samples
``z = mean + exp(log_var) * eps`` (the reference's parametrisation), prediction
uses the mean path, so it is deterministic.
"""
import torch
from torch import nn

from recbole_ganrs.models.base import RatingRecommender


class VariationalFactor(nn.Module):
    """Embedding -> (mean, log-variance) -> sampled factor."""

    def __init__(self, n, size, init_scale):
        super().__init__()
        self.embedding = nn.Embedding(n, size)
        nn.init.uniform_(self.embedding.weight, 0.0, init_scale)
        self.mean = nn.Linear(size, size)
        self.log_var = nn.Linear(size, size)

    def forward(self, index, sample):
        e = self.embedding(index)
        mean = self.mean(e)
        if not sample:
            return mean
        return mean + torch.exp(self.log_var(e)) * torch.randn_like(mean)

    def all_means(self):
        return self.mean(self.embedding.weight)


class VDeepMF(RatingRecommender):
    """Variational deep matrix factorisation (MSE on the rating)."""

    def __init__(self, config, dataset):
        super().__init__(config, dataset)
        self.users = VariationalFactor(self.n_users, self.embedding_size, config["init_scale"])
        self.items = VariationalFactor(self.n_items, self.embedding_size, config["init_scale"])
        self.loss = nn.MSELoss()

    def score(self, user, item):
        sample = self.training
        return (self.users(user, sample) * self.items(item, sample)).sum(dim=-1)

    def calculate_loss(self, interaction):
        return self.loss(self.predict(interaction), self.target(interaction))

    def full_sort_predict(self, interaction):
        users = self.users(interaction[self.USER_ID], sample=False)
        return (users @ self.items.all_means().T).reshape(-1)
