"""Shared base of the plugin's explicit-rating models.

Every model here is a RecBole ``GeneralRecommender`` trained point-wise on the
rating field (no negative sampling, no rating normalisation): ``predict`` gives
one score per (user, item) pair and ``full_sort_predict`` scores all items for a
batch of users in a few large tensor operations.
"""
import torch
from torch import nn

from recbole.model.abstract_recommender import GeneralRecommender
from recbole.model.init import xavier_normal_initialization
from recbole.utils import InputType

from recbole_ganrs.trainer import LeanTrainer


def dense_stack(widths, activation, last=False, layer=nn.Linear):
    """Dense layers between ``widths`` (``layer(width_in, width_out)``), each followed by ``activation()`` but the
    last, which is linear unless ``last``: the generative models' networks."""
    modules = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        modules.append(layer(a, b))
        if i < len(widths) - 2 or last:
            modules.append(activation())
    return nn.Sequential(*modules)


class Dropout(nn.Module):
    """Inverted dropout as ``nn.Dropout`` (each unit kept with probability 1 - p, scaled by 1 / (1 - p), nothing in
    evaluation), its mask drawn with ``torch.rand``: on CPU ``nn.Dropout``'s ``bernoulli_`` was a third of NCF's
    training time, and this mask costs a third of it (0.31 vs 0.98 ms a layer of 1,024 x 70, forward and
    backward 0.39 vs 0.99 ms; benchmarks/README.md). The same distribution from another random stream: a model
    trains to other numbers within seed noise (the equivalence table of issue 44)."""

    def __init__(self, p):
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError(f"dropout_prob must be in [0, 1), not {p}")
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        return x * ((torch.rand_like(x) >= self.p) * (1 / (1 - self.p)))

    def extra_repr(self):
        return f"p={self.p}"


class RatingRecommender(GeneralRecommender):
    """A model that learns explicit ratings; subclasses implement ``score``.

    ``target_field`` names the config key of the field it learns: the rating, or
    the 0/1 relevance label RecBole derives with ``threshold``.
    """

    input_type = InputType.POINTWISE
    target_field = "RATING_FIELD"
    #: rows (user, item pairs) scored at once by the default ``full_sort_predict``
    full_sort_chunk = 1 << 20
    #: set by the plugin's trainer while it computes the validation metric
    validating = False
    #: RecBole's Trainer with lean epochs (trainer.LeanTrainer: the same batches, less per-batch overhead)
    trainer_class = LeanTrainer

    def __init__(self, config, dataset):
        super().__init__(config, dataset)
        self.TARGET = config[self.target_field]
        if self.TARGET not in dataset.inter_feat:
            raise ValueError(
                f"{type(self).__name__} learns the field '{self.TARGET}', which the dataset lacks "
                "(load_col: {inter: [user_id, item_id, rating]})"
            )
        self.embedding_size = config["embedding_size"]

    def score(self, user, item):
        """Predicted score of each (user[k], item[k]) pair, shape [batch]."""
        raise NotImplementedError

    def target(self, interaction):
        """The learnt field of a batch, as floats."""
        return interaction[self.TARGET].float()

    def predict(self, interaction):
        return self.score(interaction[self.USER_ID], interaction[self.ITEM_ID])

    def tie_break(self, interaction):
        """Secondary ranking score among equal predictions (e.g. a classifier's confidence in its vote);
        None: ties are real ties, broken by the protocol's seeded random order."""
        return None

    def full_sort_predict(self, interaction):
        users = interaction[self.USER_ID]
        n_users, n_items = users.numel(), self.n_items
        all_items = torch.arange(n_items, device=users.device)
        scores = torch.empty(n_users * n_items, device=users.device)
        rows_per_chunk = max(1, self.full_sort_chunk // n_items)
        for start in range(0, n_users, rows_per_chunk):
            chunk = users[start : start + rows_per_chunk]
            flat_users = chunk.repeat_interleave(n_items)
            flat_items = all_items.repeat(chunk.numel())
            scores[start * n_items : start * n_items + flat_users.numel()] = self.score(
                flat_users, flat_items
            )
        return scores

    def prediction_threshold(self, q):
        """Score a prediction must reach to count as recommended at relevance threshold q."""
        return q


class MLPRatingRecommender(RatingRecommender):
    """Embeddings of user and item, concatenated, through the paper's NCF MLP.

    Hidden sizes and dropouts come from ``mlp_hidden_size`` and ``dropout_prob``
    (paper: Dense70 ReLU, Dropout .5, Dense30 ReLU, Dropout .4); the output
    layer has ``output_size`` units.
    """

    def __init__(self, config, dataset, output_size):
        super().__init__(config, dataset)
        hidden, dropout = config["mlp_hidden_size"], config["dropout_prob"]
        if len(hidden) != len(dropout):
            raise ValueError("mlp_hidden_size and dropout_prob must have the same length")
        self.user_embedding = nn.Embedding(self.n_users, self.embedding_size)
        self.item_embedding = nn.Embedding(self.n_items, self.embedding_size)
        layers, width = [], 2 * self.embedding_size
        for size, p in zip(hidden, dropout):
            layers += [nn.Linear(width, size), nn.ReLU(), Dropout(p)]
            width = size
        layers.append(nn.Linear(width, output_size))
        self.mlp = nn.Sequential(*layers)
        self.apply(xavier_normal_initialization)

    def forward(self, user, item):
        """Raw output of the network, shape [batch, output_size]."""
        x = torch.cat([self.user_embedding(user), self.item_embedding(item)], dim=-1)
        return self.mlp(x)
