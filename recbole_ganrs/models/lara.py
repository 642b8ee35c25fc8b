"""LARA (Sun et al., WSDM 2020): attribute-to-feature adversarial learning for new-item recommendation.

A generator maps an item's attributes to the profile of a user who would like it; a discriminator reads
(item attributes, user profile) and tells real pairs (a user who rated the item) from generated ones and from
counter-examples (the item with a user drawn at random). Each attribute value has its own learnt embedding
(``attribute_size`` numbers; the paper's 18 genre attributes of 5), concatenated, in the generator and the
discriminator alike; both are three tanh layers of ``hidden_size`` (the generator's last layer is the profile).
A user's profile is the mean attribute vector of the user's training items: the paper's users are vectors in the
attributes' space of the same width (``user_emb_dim`` = ``attr_num``), precomputed in the released code without
saying how; this construction is ours. A user's score for an item is the profile's
dot product with the profile generated from the item's attributes: the item's ratings are never read, so a new
item is scored like any other.

As the authors' code does, a discriminator step and a generator step alternate on every batch, each part with
its own Adam (trainer.AdversarialTrainer). The GAN is sensitive to the learning rate: on a toy of two kinds of
users and items, the authors' 1e-4 learns (every user's top items of its own kind) where 1e-3 collapses the
generator to one profile for every item (measured, tests/test_generative_models.py's data).
"""
import torch
from torch import nn
from torch.nn import functional as F

from recbole.model.abstract_recommender import GeneralRecommender
from recbole.utils import InputType

from recbole_ganrs.models.base import dense_stack
from recbole_ganrs.models.content import item_content
from recbole_ganrs.trainer import AdversarialTrainer


class AttributeEmbedding(nn.Module):
    """One learnt vector per (attribute, value 0 or 1), concatenated over the attributes."""

    def __init__(self, n_attributes, size):
        super().__init__()
        self.absent = nn.Parameter(torch.empty(n_attributes, size).uniform_(-0.1, 0.1))
        self.present = nn.Parameter(torch.empty(n_attributes, size).uniform_(-0.1, 0.1))

    def forward(self, content):
        on = content.unsqueeze(-1)
        return (on * self.present + (1 - on) * self.absent).flatten(1)


class Discriminator(nn.Module):
    def __init__(self, n_attributes, attribute_size, hidden, profile_width):
        super().__init__()
        self.attributes = AttributeEmbedding(n_attributes, attribute_size)
        self.net = dense_stack([n_attributes * attribute_size + profile_width, hidden, hidden, 1], nn.Tanh)

    def forward(self, content, profile):
        return self.net(torch.cat([self.attributes(content), profile], dim=1)).squeeze(1)


class LARA(GeneralRecommender):
    """LARA: users proposed for an item from its attributes alone."""

    input_type = InputType.POINTWISE
    reads_item_content = True  # models/content.py: the dataset must load its .item fields
    trainer_class = AdversarialTrainer
    alternate = "batch"

    def __init__(self, config, dataset):
        super().__init__(config, dataset)
        self.content = item_content(dataset, "LARA").to(self.device)
        n_attributes = self.content.shape[1]
        size, hidden = config["attribute_size"], config["hidden_size"]
        self.generator = nn.Sequential(AttributeEmbedding(n_attributes, size),
                                       dense_stack([n_attributes * size, hidden, hidden, n_attributes], nn.Tanh,
                                                   last=True))
        self.discriminator = Discriminator(n_attributes, size, hidden, n_attributes)
        self.profiles = self._user_profiles(dataset).to(self.device)
        self.parts = {"discriminator": self.discriminator, "generator": self.generator}

    def _user_profiles(self, dataset):
        """Each user's mean attribute vector over its training items (zeros for a user without any)."""
        users = dataset.inter_feat[dataset.uid_field].long()
        items = dataset.inter_feat[dataset.iid_field].long()
        sums = torch.zeros(self.n_users, self.content.shape[1]).index_add_(0, users, self.content[items].cpu())
        counts = torch.bincount(users, minlength=self.n_users).clamp(min=1)
        return sums / counts[:, None]

    def part_loss(self, name, interaction):
        """The discriminator's loss (real pairs 1; generated profiles and counter-examples 0) or the generator's
        (its profiles taken for real)."""
        users, items = interaction[self.USER_ID], interaction[self.ITEM_ID]
        content = self.content[items]
        generated = self.generator(content)
        if name == "generator":
            fooled = self.discriminator(content, generated)
            return F.binary_cross_entropy_with_logits(fooled, torch.ones_like(fooled))
        strangers = torch.randint(1, self.n_users, users.shape, device=users.device)  # counter-examples
        real = self.discriminator(content, self.profiles[users])
        fake = self.discriminator(content, generated.detach())
        counter = self.discriminator(content, self.profiles[strangers])
        return (F.binary_cross_entropy_with_logits(real, torch.ones_like(real))
                + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))
                + F.binary_cross_entropy_with_logits(counter, torch.zeros_like(counter)))

    def calculate_loss(self, interaction):
        raise NotImplementedError("LARA trains through trainer.AdversarialTrainer (discriminator and generator "
                                  "alternate on every batch), not a single loss")

    def item_profiles(self, items=None):
        """The user profile the generator proposes for each item (every item when ``items`` is None)."""
        return self.generator(self.content if items is None else self.content[items])

    def predict(self, interaction):
        return (self.profiles[interaction[self.USER_ID]] * self.item_profiles(interaction[self.ITEM_ID])).sum(dim=1)

    def full_sort_predict(self, interaction):
        return (self.profiles[interaction[self.USER_ID]] @ self.item_profiles().T).reshape(-1)
