"""NCF (regression): concatenated embeddings through an MLP to one rating (MSE)."""
from torch import nn

from recbole_ganrs.models.base import MLPRatingRecommender


class NCF(MLPRatingRecommender):
    """Neural collaborative filtering that regresses the rating."""

    def __init__(self, config, dataset):
        super().__init__(config, dataset, output_size=1)
        self.loss = nn.MSELoss()

    def score(self, user, item):
        return self.forward(user, item).squeeze(-1)

    def calculate_loss(self, interaction):
        return self.loss(self.predict(interaction), self.target(interaction))
