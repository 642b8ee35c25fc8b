"""Binary regression: one sigmoid unit trained on relevance (rating >= q) with BCE.

q comes from RecBole's own ``threshold: {rating: q}``, which turns the rating
into the 0/1 ``label`` field this model learns (default q = 4, for 1..5 data;
use 9 or 10 on 1..10 data). The prediction is p(relevant): the paper protocol ranks
by p; the thresholded protocol recommends only items with p >= 0.5, whatever q.
RecBole evaluates it with AUC/LogLoss.
"""
import torch
from torch import nn

from recbole_ganrs.models.base import MLPRatingRecommender


def relevance_threshold(config):
    """q of a config's ``threshold: {rating: q}``."""
    threshold = config["threshold"] or {}
    if config["RATING_FIELD"] not in threshold:
        raise ValueError(f"BinaryRegression needs `threshold: {{{config['RATING_FIELD']}: q}}` in its config")
    return float(threshold[config["RATING_FIELD"]])


class BinaryRegression(MLPRatingRecommender):
    """MLP with one sigmoid output that predicts whether the user finds the item relevant."""

    target_field = "LABEL_FIELD"

    def __init__(self, config, dataset):
        self.relevance_threshold = relevance_threshold(config)
        super().__init__(config, dataset, output_size=1)
        self.loss = nn.BCEWithLogitsLoss()

    def score(self, user, item):
        return torch.sigmoid(self.forward(user, item).squeeze(-1))

    def calculate_loss(self, interaction):
        logits = self.forward(interaction[self.USER_ID], interaction[self.ITEM_ID]).squeeze(-1)
        return self.loss(logits, self.target(interaction))

    def prediction_threshold(self, q):
        if float(q) != self.relevance_threshold:
            raise ValueError(
                f"BinaryRegression was trained for q={self.relevance_threshold:g}, asked for q={q:g}"
            )
        return 0.5
