"""The paper's Table IV row of a ratings dataset."""
import numpy as np
import pandas as pd

def dataset_row(name, ratings):
    """Table IV row of a (user_id, item_id, rating) frame: sizes, rating values, sparsity."""
    n_users, n_items = ratings["user_id"].nunique(), ratings["item_id"].nunique()
    values = np.sort(pd.unique(ratings["rating"].to_numpy()))  # a hash, not a sort of every rating
    scores = f"{values[0]:g}..{values[-1]:g}" if len(values) else "-"
    sparsity = 100.0 * (1 - len(ratings) / (n_users * n_items)) if n_users and n_items else float("nan")
    return {"dataset": name, "#users": n_users, "#items": n_items, "#ratings": len(ratings),
            "scores": scores, "sparsity %": round(sparsity, 2)}
