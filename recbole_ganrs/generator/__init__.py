"""Synthetic-dataset generators: GANRS, and the CFGAN-style and statistical generators it is compared with."""
import dataclasses

from recbole_ganrs.errors import GanrsError
from recbole_ganrs.generator.base import SyntheticGenerator
from recbole_ganrs.generator.cfgan import CFGANStyle
from recbole_ganrs.generator.ganrs import GANRS, SourceSummary
from recbole_ganrs.generator.statistical import StatisticalGenerator

#: --generator value -> class
GENERATORS = {cls.kind: cls for cls in (GANRS, CFGANStyle, StatisticalGenerator)}


def make_generator(kind, **params):
    """An unfitted generator of ``kind`` with ``params``; a parameter it does not have is an error."""
    if kind not in GENERATORS:
        raise GanrsError(f"unknown generator '{kind}' (choose from {', '.join(GENERATORS)})")
    cls = GENERATORS[kind]
    known = {f.name for f in dataclasses.fields(cls)} - {"_state"}
    unknown = sorted(set(params) - known)
    if unknown:
        raise GanrsError(f"the {kind} generator has no setting {', '.join(unknown)} "
                         f"(it takes {', '.join(sorted(known))})")
    return cls(**params)


__all__ = ["GANRS", "CFGANStyle", "StatisticalGenerator", "SyntheticGenerator", "SourceSummary",
           "GENERATORS", "make_generator"]
