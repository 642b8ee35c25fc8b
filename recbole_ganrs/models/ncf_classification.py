"""NCF classification: the MLP ends in a softmax over the dataset's rating values.

The classes are the rating values present in the training data (1..5, 1..10,
half stars...), never a hard-coded scale. The predicted vote is the most
probable rating value; its probability is the vote's reliability (the paper's
<reliability, vote> tuples), which ranks items of the same vote.
"""
import torch
from torch import nn

from recbole_ganrs.models.base import MLPRatingRecommender


class NCFClassification(MLPRatingRecommender):
    """Neural collaborative filtering as a classifier over rating values (cross-entropy)."""

    def __init__(self, config, dataset):
        values = torch.unique(dataset.inter_feat[config["RATING_FIELD"]].float())
        super().__init__(config, dataset, output_size=len(values))
        self.register_buffer("rating_values", values)
        self.loss = nn.CrossEntropyLoss()

    def probabilities(self, user, item):
        """p(rating = rating_values[c]) for each pair, shape [batch, n_classes]; rows sum to 1."""
        return torch.softmax(self.forward(user, item), dim=-1)

    def rating_class(self, rating):
        """Index of each rating among ``rating_values`` (the nearest value at or above it)."""
        return torch.bucketize(rating, self.rating_values).clamp_max(len(self.rating_values) - 1)

    def calculate_loss(self, interaction):
        logits = self.forward(interaction[self.USER_ID], interaction[self.ITEM_ID])
        return self.loss(logits, self.rating_class(self.target(interaction)))

    def score(self, user, item):
        return self.rating_values[self.forward(user, item).argmax(dim=-1)]

    def predict(self, interaction):
        # Validated on the expected rating of its class probabilities: the RMSE of the argmax vote does not
        # follow the cross-entropy it learns (it is best after one epoch on ml-100k, then worsens), so early
        # stopping on it would keep an untrained model. Recommends and is tested with its vote.
        if self.validating:
            return self.probabilities(interaction[self.USER_ID], interaction[self.ITEM_ID]) @ self.rating_values
        return super().predict(interaction)

    def tie_break(self, interaction):
        """Probability of the predicted vote: of two items with the same vote, the surer one ranks first."""
        return self.probabilities(interaction[self.USER_ID], interaction[self.ITEM_ID]).max(dim=-1).values
