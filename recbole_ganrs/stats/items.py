"""The item side of a synthetic dataset whose items carry attributes (its ``.item`` file) beside its source's.

Per field, as its type calls for:

- a label set (``token_seq``, e.g. genres): TVD of the labels' shares (each label's items over all labels'), r of
  the label pairs' co-occurrence shares, mean labels per item, and how the labels go with the ratings: r, over
  the labels, of the mean rating of their items' ratings and of their share of the ratings (popularity), each
  synthetic against the source;
- a number (``float``, or a token whose values are numbers, e.g. a release year): KS of the items' values;
- a category (any other ``token``): TVD of the values' shares.

Then a detection AUC on item profiles (stats/detection.py's classifier and balance): each item's place on its
dataset's popularity scale, its mean and std rating, and its attributes (a label set as one column per label, a
number as itself, a category as one column per value): can a classifier tell the synthetic items from the real?
"""
import itertools

import numpy as np
import pandas as pd
from scipy.stats import ks_2samp, pearsonr
from recbole_ganrs.seeds import rng
from recbole_ganrs.stats.detection import classifier_auc, density_matched, mass_position


def labels(values):
    """Each item's label set (a token_seq's space-separated text)."""
    return [frozenset(str(v).split()) for v in values]


NUMBERS = 0.99  # a field is a number when this share of its values parse (ml-100k's years: 'unkonwn' and 'V')


def numeric(values):
    """The values that are numbers, when at least ``NUMBERS`` of them are; else None (a category)."""
    out = pd.to_numeric(pd.Series(values).astype(str).str.strip(), errors="coerce")
    return None if out.notna().mean() < NUMBERS else out.dropna().to_numpy(np.float64)


def _r(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return round(float(pearsonr(a, b)[0]), 3) if len(a) > 2 and a.std() > 0 and b.std() > 0 else float("nan")


def label_measures(field, syn_items, syn_ratings, src_items, src_ratings):
    """{measure: value} of one label-set field."""
    sets = {side: labels(items[field]) for side, items in (("syn", syn_items), ("src", src_items))}
    vocabulary = sorted(set().union(*sets["src"], *sets["syn"]))
    share = {side: np.array([sum(v in s for s in sets[side]) for v in vocabulary], np.float64) for side in sets}
    pairs = list(itertools.combinations(vocabulary, 2))
    co = {side: [sum(a in s and b in s for s in sets[side]) / len(sets[side]) for a, b in pairs] for side in sets}
    per_label = {}
    for side, items, ratings in (("syn", syn_items, syn_ratings), ("src", src_items, src_ratings)):
        item_sets = pd.Series(sets[side], index=items.index)
        joined = ratings.assign(labels=ratings["item_id"].map(item_sets)).dropna(subset=["labels"])
        exploded = joined.assign(label=joined["labels"].map(sorted)).explode("label")
        grouped = exploded.groupby("label")["rating"]
        per_label[side] = (grouped.mean().reindex(vocabulary), grouped.size().reindex(vocabulary) / len(joined))
    seen = per_label["src"][0].notna() & per_label["syn"][0].notna()
    return {f"{field} share TVD": round(0.5 * float(np.abs(share["syn"] / share["syn"].sum()
                                                           - share["src"] / share["src"].sum()).sum()), 4),
            f"{field} pairs r": _r(co["syn"], co["src"]) if pairs else float("nan"),
            f"{field} per item": f"{np.mean([len(s) for s in sets['syn']]):.2f} / {np.mean([len(s) for s in sets['src']]):.2f}",
            f"{field} mean rating r": _r(per_label["syn"][0][seen], per_label["src"][0][seen]),
            f"{field} popularity r": _r(per_label["syn"][1][seen], per_label["src"][1][seen])}


def value_measures(field, syn_values, src_values):
    """{measure: value} of a number (KS) or a category (TVD)."""
    a, b = numeric(syn_values), numeric(src_values)
    if a is not None and b is not None:
        return {f"{field} KS": round(float(ks_2samp(a, b).statistic), 4)}
    shares = pd.concat([pd.Series(syn_values).astype(str).value_counts(normalize=True),
                        pd.Series(src_values).astype(str).value_counts(normalize=True)], axis=1).fillna(0)
    return {f"{field} TVD": round(0.5 * float((shares.iloc[:, 0] - shares.iloc[:, 1]).abs().sum()), 4)}


def item_profiles(ratings, items, kinds, vocabularies, draw):
    """One row of id-free features per item of ``items`` (indexed by item id) that has ratings."""
    by = ratings.groupby("item_id")
    counts = by.size()
    # one uniform point of the item's stretch, as a user's activity: the mean of its ratings' points would sit
    # each popular item at its stretch's middle, a comb whose teeth name the dataset (two halves of ml-100k's
    # users were told apart at 0.65-0.69 on it alone, at 0.42-0.46 on this)
    out = pd.DataFrame({"popularity": mass_position(np.arange(len(counts)), counts.to_numpy(), draw),
                        "mean rating": by["rating"].mean(), "std rating": by["rating"].std(ddof=0)},
                       index=counts.index)
    attributes = items.reindex(out.index)
    for field, kind in kinds.items():
        values = attributes[field]
        if kind == "token_seq":
            sets = labels(values)
            for label in vocabularies[field]:
                out[f"{field}={label}"] = [label in s for s in sets]
        elif numeric(values) is not None:
            out[field] = pd.to_numeric(values, errors="coerce").to_numpy(np.float64)  # a blank: missing
        else:
            for value in vocabularies[field]:
                out[f"{field}={value}"] = (values.astype(str) == value).to_numpy()
    return out.to_numpy(np.float64)


def item_detection_auc(syn_ratings, syn_items, src_ratings, src_items, kinds, seed=0):
    """Cross-validated AUC of telling the synthetic items' profiles from the source's, at one density (ratings per
    item: stats/detection.density_matched)."""
    vocabularies = {f: sorted(set().union(*labels(src_items[f]))) if k == "token_seq"
                    else sorted(src_items[f].astype(str).unique()) for f, k in kinds.items()}
    src_ratings, syn_ratings = density_matched(src_ratings, syn_ratings, "item_id",
                                               rng(seed, "measure", "item_detection_thinning"))
    draw = rng(seed, "measure", "item_detection")
    real = item_profiles(src_ratings, src_items, kinds, vocabularies, draw)
    fake = item_profiles(syn_ratings, syn_items, kinds, vocabularies, draw)
    return round(classifier_auc(real, fake, draw, seed, "item_detection"), 3)


def item_fidelity(name, syn_ratings, syn_items, src_ratings, src_items, kinds):
    """One row: the item side of synthetic ``name`` against its source (items frames indexed by item id as
    str, the ratings' item ids as str too)."""
    row = {"dataset": name}
    for field, kind in kinds.items():
        if kind == "token_seq":
            row.update(label_measures(field, syn_items, syn_ratings, src_items, src_ratings))
        else:
            row.update(value_measures(field, syn_items[field], src_items[field]))
    row["item detection AUC"] = item_detection_auc(syn_ratings, syn_items, src_ratings, src_items, kinds)
    return row
