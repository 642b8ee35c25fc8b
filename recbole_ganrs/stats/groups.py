"""Per-group fidelity of a conditioned synthetic dataset (its ``.user`` file's groups) against its source's groups.

For each group: its users and share of users, mean rating, mean ratings per user, and, against the same group
of the source, the rating TVD, activity and popularity KS (fidelity.py), the structure measures that need no
fit and the user-averaged shares of relevant ratings at the source's q (structure.py); then each group's gap to
the rest of the users (mean rating, ratings per user) on the source
and on the synthetic data (ratings per user as a share of the dataset's mean, since sizes differ), whose sign
says whether the synthetic data keeps the source's direction.
"""
import numpy as np

from recbole_ganrs.data.users import Condition, read_users, user_file_of, user_labels
from recbole_ganrs.stats.fidelity import fidelity
from recbole_ganrs.stats.structure import relevance_levels, spread_measures, user_share_measures


def _with_groups(ratings, labels):
    return ratings.assign(group=ratings["user_id"].astype(str).map(labels))


def _profile(frame):
    per_user = frame.groupby("user_id").size()
    return {"users": int(per_user.size), "mean rating": float(frame["rating"].mean()),
            "ratings/user": float(per_user.mean())}


def _gap(frame, group, key):
    """The group's ``key`` less the rest's; ratings per user as a share of the dataset's mean (sizes differ)."""
    inside, rest = frame[frame["group"] == group], frame[frame["group"] != group]
    if inside.empty or rest.empty:
        return float("nan")
    scale = _profile(frame)[key] if key == "ratings/user" else 1.0
    return (_profile(inside)[key] - _profile(rest)[key]) / scale


def group_rows(name, synthetic, synthetic_labels, source, source_labels):
    """(per-group rows, gap rows) of ``synthetic`` against ``source`` (ratings frames; labels: a group per
    user token)."""
    syn, src = _with_groups(synthetic, synthetic_labels), _with_groups(source, source_labels)
    qs = relevance_levels(source)
    rows, gaps = [], []
    for group in sorted(set(src["group"].dropna()) | set(syn["group"].dropna())):
        a, b = syn[syn["group"] == group], src[src["group"] == group]
        row = {"dataset": name, "group": group}
        pa, pb = (_profile(a) if len(a) else {}), (_profile(b) if len(b) else {})
        row["users"] = f"{pa.get('users', 0)} / {pb.get('users', 0)}"
        row["user share"] = (f"{pa.get('users', 0) / syn['user_id'].nunique():.3f} / "
                             f"{pb.get('users', 0) / src['user_id'].nunique():.3f}")
        for key in ("mean rating", "ratings/user"):
            row[key] = f"{pa.get(key, float('nan')):.3f} / {pb.get(key, float('nan')):.3f}"
        if len(a) and len(b):
            f = fidelity(name, a, b)
            row.update({k: f[k] for k in ("rating TVD", "activity KS", "popularity KS")})
            ma, mb = spread_measures(a), spread_measures(b)
            row.update({k: f"{ma[k]:.3f} / {mb[k]:.3f}" for k in ("within-user std", "user-mean std", "item-mean std",
                                                                   "activity-rating r")})
            sa, sb = user_share_measures(a, qs), user_share_measures(b, qs)
            row.update({k: f"{sa[k]:.3f} / {sb[k]:.3f}" for k in sa})
        rows.append(row)
        gap = {"dataset": name, "group": f"{group} - rest"}
        for key in ("mean rating", "ratings/user"):
            s, r = _gap(syn, group, key), _gap(src, group, key)
            gap[f"{key} gap" + (" / mean" if key == "ratings/user" else "")] = f"{s:+.3f} / {r:+.3f}"
            gap[f"{key}: same sign"] = bool(np.sign(s) == np.sign(r)) if np.isfinite(s + r) else None
        gaps.append(gap)
    return rows, gaps


def synthetic_labels(folder, condition):
    """A conditioned synthetic dataset's group per user token (its .user file's attribute column)."""
    users = read_users(user_file_of(folder / f"{folder.name}.inter"))
    return users[Condition.parse(condition).attribute]


def source_labels(inter_path, ratings, condition):
    """The source's group per user token under ``condition`` (every group kept, however small)."""
    return user_labels(inter_path, ratings, Condition.parse(condition), min_users=1)

