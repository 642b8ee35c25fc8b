"""The six deep CF baselines of the GANRS papers (Table II), as RecBole models."""
from recbole_ganrs.models.binary_regression import BinaryRegression
from recbole_ganrs.models.deepmf import DeepMF
from recbole_ganrs.models.ncf import NCF
from recbole_ganrs.models.ncf_classification import NCFClassification
from recbole_ganrs.models.ncf_improved_classification import NCFImprovedClassification
from recbole_ganrs.models.vdeepmf import VDeepMF

#: the six models of the paper (Table II), in its order: the one list of them
PAPER_MODELS = ["DeepMF", "VDeepMF", "NCF", "NCFClassification", "NCFImprovedClassification", "BinaryRegression"]
#: RecBole models that differ a lot from the paper's six and from each other (popularity, neighbourhood,
#: pairwise ranking, graph, autoencoder), so that agreement is also tested on large gaps
BASELINE_MODELS = ["Pop", "ItemKNN", "BPR", "LightGCN", "MultiVAE"]
#: names ``--models`` takes for a set, joined with + (``paper+baselines``)
MODEL_SETS = {"paper": PAPER_MODELS, "baselines": BASELINE_MODELS}


def expand_models(names):
    """``--models`` values with set names (``paper``, ``baselines``, ``paper+baselines``) expanded, in order,
    each model once."""
    out = []
    for name in names:
        for part in str(name).split("+"):
            for model in MODEL_SETS.get(part, [part]):
                if model not in out:
                    out.append(model)
    return out

__all__ = ["BASELINE_MODELS", "MODEL_SETS", "PAPER_MODELS", "expand_models", "DeepMF", "VDeepMF", "NCF", "NCFClassification", "NCFImprovedClassification", "BinaryRegression"]
