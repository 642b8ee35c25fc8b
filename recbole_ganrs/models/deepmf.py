"""DeepMF: the rating is the dot product of a user and an item embedding (MSE)."""
from torch import nn

from recbole_ganrs.models.base import RatingRecommender


class DeepMF(RatingRecommender):
    """Matrix factorisation learnt by gradient descent on the squared rating error."""

    def __init__(self, config, dataset):
        super().__init__(config, dataset)
        self.user_embedding = nn.Embedding(self.n_users, self.embedding_size)
        self.item_embedding = nn.Embedding(self.n_items, self.embedding_size)
        # uniform init as in Keras' Embedding: positive dot products start near the scale
        nn.init.uniform_(self.user_embedding.weight, 0.0, config["init_scale"])
        nn.init.uniform_(self.item_embedding.weight, 0.0, config["init_scale"])
        self.loss = nn.MSELoss()

    def score(self, user, item):
        return (self.user_embedding(user) * self.item_embedding(item)).sum(dim=-1)

    def calculate_loss(self, interaction):
        return self.loss(self.predict(interaction), self.target(interaction))

    def full_sort_predict(self, interaction):
        users = self.user_embedding(interaction[self.USER_ID])
        return (users @ self.item_embedding.weight.T).reshape(-1)
