"""The six deep CF baselines of the GANRS papers (Table II), as RecBole models."""
from recbole_ganrs.models.binary_regression import BinaryRegression
from recbole_ganrs.models.deepmf import DeepMF
from recbole_ganrs.models.ncf import NCF
from recbole_ganrs.models.ncf_classification import NCFClassification
from recbole_ganrs.models.ncf_improved_classification import NCFImprovedClassification
from recbole_ganrs.models.vdeepmf import VDeepMF

#: the six models of the paper (Table II), in its order: the one list of them
PAPER_MODELS = ["DeepMF", "VDeepMF", "NCF", "NCFClassification", "NCFImprovedClassification", "BinaryRegression"]

__all__ = ["PAPER_MODELS", "DeepMF", "VDeepMF", "NCF", "NCFClassification", "NCFImprovedClassification", "BinaryRegression"]
