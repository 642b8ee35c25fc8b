"""The six deep CF baselines of the GANRS papers (Table II) and the generative recommenders of their literature
(CFGAN, the collaborative VAE, LARA), as RecBole models."""
from recbole_ganrs.models.binary_regression import BinaryRegression
from recbole_ganrs.models.cfgan import CFGAN
from recbole_ganrs.models.cvae import CVAE
from recbole_ganrs.models.deepmf import DeepMF
from recbole_ganrs.models.lara import LARA
from recbole_ganrs.models.ncf import NCF
from recbole_ganrs.models.ncf_classification import NCFClassification
from recbole_ganrs.models.ncf_improved_classification import NCFImprovedClassification
from recbole_ganrs.models.vdeepmf import VDeepMF

#: the six models of the paper (Table II), in its order: the one list of them
PAPER_MODELS = ["DeepMF", "VDeepMF", "NCF", "NCFClassification", "NCFImprovedClassification", "BinaryRegression"]
#: RecBole models that differ a lot from the paper's six and from each other (popularity, neighbourhood,
#: pairwise ranking, graph, autoencoder), so that agreement is also tested on large gaps
BASELINE_MODELS = ["Pop", "ItemKNN", "BPR", "LightGCN", "MultiVAE"]
#: the generative recommenders of the GAN / VAE line (MultiVAE is RecBole's own); CVAE and LARA read item
#: attributes (models/content.py)
GENERATIVE_MODELS = ["CFGAN", "CVAE", "LARA", "MultiVAE"]
#: the models this package defines (the rest resolve to RecBole's)
PLUGIN_MODELS = PAPER_MODELS + ["CFGAN", "CVAE", "LARA"]
#: names ``--models`` takes for a set, joined with + (``paper+baselines``)
MODEL_SETS = {"paper": PAPER_MODELS, "baselines": BASELINE_MODELS, "generative": GENERATIVE_MODELS}


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

__all__ = ["BASELINE_MODELS", "GENERATIVE_MODELS", "MODEL_SETS", "PAPER_MODELS", "PLUGIN_MODELS", "expand_models",
           "CFGAN", "CVAE", "LARA", "DeepMF", "VDeepMF", "NCF", "NCFClassification", "NCFImprovedClassification", "BinaryRegression"]
