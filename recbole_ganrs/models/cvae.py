"""The collaborative variational autoencoder (Li & She, KDD 2017) as a RecBole model.

An item's content x_j (its attributes, models/content.py) goes through a VAE: an inference network gives
z_j ~ N(mu_j, sigma_j^2), a generation network reconstructs x_j from z_j. The item's latent vector v_j is tied to
the code's mean by a Gaussian prior (lambda_v / 2 ||v_j - mu_j||^2, the posterior mean the paper's v-update
reads); a user's latent u_i by lambda_u / 2 ||u_i||^2; and the
implicit ratings by the confidence-weighted square loss c_ij / 2 (r_ij - u_i.v_j)^2, c = a for a rating, b for
none. Prediction is u_i.v_j; an item with no training rating (a cold item) is scored with v_j = mu_j, its content
alone.

Where this differs from the paper and Cornac's CVAE: all parts are trained together by RecBole's trainer with
Adam on mini-batches of users (each batch's users' full rows, as RecBole's MultiVAE batches them), not by the
paper's alternation of closed-form u, v updates and VAE epochs; the item terms are paid in full by every batch,
scaled by the batch's share of the users; the tie reads mu_j where Cornac's reads a sample z_j.
"""
import torch
from torch import nn
from torch.nn import functional as F

from recbole.model.abstract_recommender import AutoEncoderMixin, GeneralRecommender
from recbole.model.init import xavier_normal_initialization
from recbole.utils import InputType

from recbole_ganrs.models.base import dense_stack
from recbole_ganrs.models.content import item_content


class CVAE(GeneralRecommender, AutoEncoderMixin):
    """Collaborative VAE over the items' attributes."""

    input_type = InputType.POINTWISE
    reads_item_content = True  # models/content.py: the dataset must load its .item fields

    def __init__(self, config, dataset):
        super().__init__(config, dataset)
        self.build_histroy_items(dataset)  # RecBole's AutoEncoderMixin: each user's training items
        self.content = item_content(dataset, "CVAE").to(self.device)
        size, hidden = config["embedding_size"], list(config["vae_hidden_size"])
        # sigmoid layers, the paper's and Cornac's activation
        self.encoder = dense_stack([self.content.shape[1], *hidden, 2 * size], nn.Sigmoid)
        self.decoder = dense_stack([size, *hidden[::-1], self.content.shape[1]], nn.Sigmoid)
        self.user_embedding = nn.Embedding(self.n_users, size)
        self.item_embedding = nn.Embedding(self.n_items, size)
        self.a, self.b = config["confidence_rated"], config["confidence_unrated"]
        self.lambda_u, self.lambda_v, self.lambda_r = config["lambda_u"], config["lambda_v"], config["lambda_r"]
        rated = torch.zeros(self.n_items, dtype=torch.bool)
        rated[dataset.inter_feat[dataset.iid_field].unique()] = True
        self.rated = rated.to(self.device)  # items with a training rating keep v_j; the others are scored by mu_j
        self.apply(xavier_normal_initialization)

    def encode(self):
        """(mu, log variance) of every item's content."""
        return self.encoder(self.content).chunk(2, dim=1)

    def calculate_loss(self, interaction):
        users = interaction[self.USER_ID]
        ratings = self.get_rating_matrix(users)
        u = self.user_embedding(users)
        v = self.item_embedding.weight
        confidence = self.b + (self.a - self.b) * ratings
        rating_loss = 0.5 * (confidence * (ratings - u @ v.T).square()).sum() + 0.5 * self.lambda_u * u.square().sum()
        mu, log_var = self.encode()
        z = mu + torch.randn_like(mu) * (0.5 * log_var).exp()
        reconstruction = F.binary_cross_entropy_with_logits(self.decoder(z), self.content, reduction="sum")
        kl = -0.5 * (1 + log_var - mu.square() - log_var.exp()).sum()
        item_loss = 0.5 * self.lambda_v * (v - mu).square().sum() + self.lambda_r * (reconstruction + kl)
        # per user: the item terms are shared by all users, paid once per pass over them
        return rating_loss / len(users) + item_loss / self.n_users

    def item_vectors(self):
        """v_j for items with a training rating, mu_j (content alone) for the others."""
        mu, _ = self.encode()
        return torch.where(self.rated[:, None], self.item_embedding.weight, mu)

    def predict(self, interaction):
        v = self.item_vectors()[interaction[self.ITEM_ID]]
        return (self.user_embedding(interaction[self.USER_ID]) * v).sum(dim=1)

    def full_sort_predict(self, interaction):
        return (self.user_embedding(interaction[self.USER_ID]) @ self.item_vectors().T).reshape(-1)
