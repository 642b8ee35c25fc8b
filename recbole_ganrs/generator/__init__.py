"""Synthetic-dataset generators: GANRS, and the CFGAN-style and statistical generators it is compared with.

Every generator follows the contract of ``base.py``; ``GENERATORS`` is the one list of them.
"""
import dataclasses

from recbole_ganrs.errors import GanrsError
from recbole_ganrs.generator.base import SampleRequest, SourceSummary, SyntheticGenerator
from recbole_ganrs.generator.cfgan import CFGANStyle
from recbole_ganrs.generator.gan import GAN_KINDS
from recbole_ganrs.generator.ganrs import GANRS
from recbole_ganrs.generator.statistical import StatisticalGenerator

#: --generators value -> class
GENERATORS = {cls.kind: cls for cls in (GANRS, CFGANStyle, StatisticalGenerator)}


def setting_default(kind, name):
    """The default of a generator's setting (help texts are made from these)."""
    return {f.name: f.default for f in dataclasses.fields(GENERATORS[kind])}[name]


def make_generator(kind, **settings):
    """An unfitted generator of ``kind`` with ``settings``; a setting it does not have is an error."""
    if kind not in GENERATORS:
        raise GanrsError(f"unknown generator '{kind}' (choose from {', '.join(GENERATORS)})")
    cls = GENERATORS[kind]
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(settings) - known)
    if unknown:
        raise GanrsError(f"the {kind} generator has no setting {', '.join(unknown)} "
                         f"(it takes {', '.join(sorted(known))})")
    return cls(**settings)


__all__ = ["GANRS", "CFGANStyle", "StatisticalGenerator", "SyntheticGenerator", "SourceSummary", "SampleRequest",
           "GAN_KINDS", "GENERATORS", "make_generator", "setting_default"]
