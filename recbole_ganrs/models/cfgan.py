"""CFGAN (Chae et al., CIKM 2018) as a RecBole model: a conditional GAN over purchase vectors.

The generator reads a row of the training matrix (an item's users in the authors' default ``item`` mode, a
user's items in ``user`` mode) and outputs a real-valued vector of the same width; the discriminator tells
(row, real row) from (row, generated row). As the authors' code does: no noise input; the generated vector is
multiplied by the row's purchases plus a partial-masking sample of its zeros (``partial_masking_ratio``) before
the discriminator sees it; the generator also pays ``zero_reconstruction_weight`` x the squared outputs on a
sample of the row's zeros (``zero_reconstruction_ratio``), both samples drawn once per epoch. The two parts
alternate by epoch (``discriminator_steps`` then ``generator_steps`` passes, trainer.AdversarialTrainer). A
user's scores are the generator's outputs on the training matrix (transposed in item mode).

Where this differs from the authors' TensorFlow code: each zero joins a sample with probability equal to the
ratio (the code draws exactly that share of each row's zeros), and weight decay stands for their
``reg * l2_loss`` term (the same gradient).
"""
import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from recbole.model.abstract_recommender import GeneralRecommender
from recbole.utils import InputType

from recbole_ganrs.models.base import dense_stack
from recbole_ganrs.trainer import AdversarialTrainer


def tf_dense(width_in, width_out):
    """A dense layer initialised as the authors' code does: weights uniform in +-sqrt(6 / (in + out)), biases in
    +-0.01."""
    layer = nn.Linear(width_in, width_out)
    bound = math.sqrt(6.0 / (width_in + width_out))
    nn.init.uniform_(layer.weight, -bound, bound)
    nn.init.uniform_(layer.bias, -0.01, 0.01)
    return layer


def sigmoid_mlp(width_in, hidden, layers, width_out):
    """``layers`` hidden layers of ``hidden`` sigmoid units, then a linear output (the authors' GEN and DIS)."""
    return dense_stack([width_in, *[hidden] * layers, width_out], nn.Sigmoid, layer=tf_dense)


class CFGAN(GeneralRecommender):
    """CFGAN with zero-reconstruction and partial masking (the authors' ``ZP`` scheme)."""

    input_type = InputType.POINTWISE
    trainer_class = AdversarialTrainer
    alternate = "epoch"

    def __init__(self, config, dataset):
        super().__init__(config, dataset)
        if config["cfgan_mode"] not in ("item", "user"):
            raise ValueError(f"cfgan_mode must be item or user, not {config['cfgan_mode']!r}")
        self.item_mode = config["cfgan_mode"] == "item"
        purchases = dataset.inter_matrix(form="coo")
        matrix = torch.zeros(self.n_users, self.n_items)
        matrix[torch.from_numpy(purchases.row.astype(np.int64)), torch.from_numpy(purchases.col.astype(np.int64))] = 1.0
        # the rows the GAN learns; not a buffer: rebuilt from the dataset, kept out of checkpoints
        self.rows = (matrix.T if self.item_mode else matrix).contiguous().to(self.device)
        width = self.rows.shape[1]
        self.generator = sigmoid_mlp(width, config["generator_hidden_size"], config["generator_layers"], width)
        self.discriminator = sigmoid_mlp(2 * width, config["discriminator_hidden_size"],
                                         config["discriminator_layers"], 1)
        self.parts = {"discriminator": self.discriminator, "generator": self.generator}
        self.batch_sizes = {"discriminator": config["discriminator_batch_size"],
                            "generator": config["generator_batch_size"]}
        self.zr_ratio, self.pm_ratio = config["zero_reconstruction_ratio"], config["partial_masking_ratio"]
        self.zr_weight = config["zero_reconstruction_weight"]
        self.zr_mask = self.pm_mask = None
        self.scores = None  # every user's scores, computed once per evaluation

    def train(self, mode=True):
        self.scores = None  # the weights may change: recompute at the next evaluation
        return super().train(mode)

    def start_epoch(self):
        """Draw the epoch's zero-reconstruction and partial-masking samples of each row's zeros."""
        zeros = self.rows == 0
        self.zr_mask = (torch.rand(self.rows.shape, device=self.device) < self.zr_ratio) & zeros
        self.pm_mask = (torch.rand(self.rows.shape, device=self.device) < self.pm_ratio) & zeros

    def part_batches(self, name):
        """The rows in a random order, in batches of the part's size."""
        return list(torch.randperm(len(self.rows), device=self.device).split(self.batch_sizes[name]))

    def _discriminate(self, condition, vector):
        return self.discriminator(torch.cat([condition, vector], dim=1)).squeeze(1)

    def part_loss(self, name, rows):
        real = self.rows[rows]
        generated = self.generator(real)
        shown = generated * (real + self.pm_mask[rows].float())  # purchases plus the partial-masking sample
        if name == "discriminator":
            real_logit = self._discriminate(real, real)
            fake_logit = self._discriminate(real, shown.detach())
            return (F.binary_cross_entropy_with_logits(real_logit, torch.ones_like(real_logit))
                    + F.binary_cross_entropy_with_logits(fake_logit, torch.zeros_like(fake_logit)))
        fake_logit = self._discriminate(real, shown)
        zero_reconstruction = (generated.square() * self.zr_mask[rows].float()).sum(dim=1).mean()
        return (F.binary_cross_entropy_with_logits(fake_logit, torch.ones_like(fake_logit))
                + self.zr_weight * zero_reconstruction)

    def calculate_loss(self, interaction):
        raise NotImplementedError("CFGAN trains through trainer.AdversarialTrainer (generator and discriminator "
                                  "alternate), not a single loss")

    def _all_scores(self):
        if self.scores is None:
            with torch.no_grad():
                out = torch.cat([self.generator(chunk) for chunk in self.rows.split(4096)])
            self.scores = out.T.contiguous() if self.item_mode else out
        return self.scores

    def predict(self, interaction):
        return self._all_scores()[interaction[self.USER_ID], interaction[self.ITEM_ID]]

    def full_sort_predict(self, interaction):
        return self._all_scores()[interaction[self.USER_ID]].reshape(-1)
