"""Item content for the models that read item attributes (the collaborative VAE, LARA): every item feature the
dataset loaded (``load_col: {item: [...]}``) as one 0/1 vector per item.

A token field is one-hot over its values, a token sequence (genres) multi-hot, a float field one-hot over its
quartile bands (the content VAE reconstructs 0/1 vectors). RecBole's padding item 0 gets zeros.
"""
import numpy as np
import torch
from recbole.utils import FeatureType

from recbole_ganrs.errors import GanrsError

#: float fields are cut into this many bands at their quantiles
FLOAT_BANDS = 4


class MissingItemContent(GanrsError, ValueError):
    """A content model was given a dataset without item features."""


def content_fields(dataset):
    """The item feature fields the model reads: every loaded ``.item`` field but the id, token / token sequence /
    float ones."""
    if dataset.item_feat is None:
        return []
    kinds = (FeatureType.TOKEN, FeatureType.TOKEN_SEQ, FeatureType.FLOAT)
    return [f for f in dataset.item_feat.columns if f != dataset.iid_field and dataset.field2type[f] in kinds]


def _one_hot(codes, width):
    out = np.zeros((len(codes), width), np.float32)
    out[np.arange(len(codes)), codes] = 1.0
    return out


def _field_block(dataset, field, values):
    kind = dataset.field2type[field]
    values = values.numpy() if torch.is_tensor(values) else np.asarray(values)
    if kind == FeatureType.TOKEN:
        block = _one_hot(values.astype(np.int64), dataset.num(field))
    elif kind == FeatureType.TOKEN_SEQ:  # padded with 0, RecBole's padding token
        block = np.zeros((len(values), dataset.num(field)), np.float32)
        rows = np.repeat(np.arange(len(values)), values.shape[1])
        block[rows, values.reshape(-1).astype(np.int64)] = 1.0
    else:
        values = values.astype(np.float64)
        edges = np.nanquantile(values[1:], np.linspace(0, 1, FLOAT_BANDS + 1)[1:-1])
        block = _one_hot(np.searchsorted(edges, values, side="right"), FLOAT_BANDS)
    block[0] = 0.0  # RecBole's padding item
    return block


def item_content(dataset, model_name):
    """FloatTensor [n_items, D] of 0/1 item content (see the module's text); one clear error without features."""
    fields = content_fields(dataset)
    if not fields:
        raise MissingItemContent(
            f"{model_name} reads item attributes and the dataset loaded none: load its .item fields "
            "(load_col: {item: [item_id, <field>, ...]}; benchmark: --item-attributes FIELD,...)")
    feat = dataset.get_item_feature()
    blocks = [_field_block(dataset, f, feat[f]) for f in fields]
    content = np.concatenate(blocks, axis=1)
    return torch.from_numpy(content[:, content.any(axis=0)])  # drop values no item has (a padding token's)
