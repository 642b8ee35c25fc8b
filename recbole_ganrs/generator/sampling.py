"""How a fitted GANRS turns its draws into a dataset: the sampling choices of a request, not of the fit.

One fit serves any of them (a cached or saved fit is never patched): they travel on the
:class:`~recbole_ganrs.generator.base.SampleRequest`, are recorded in the dataset's sidecar with the
rest of the request, and a dataset name gets a hash of those that are not the defaults.
"""
from dataclasses import asdict, dataclass, fields

from recbole_ganrs.errors import GanrsError
from recbole_ganrs.generator.pairing import PAIRINGS
from recbole_ganrs.generator.profiles import DONORS
from recbole_ganrs.generator.rating_head import CENTRE_MATCHINGS
from recbole_ganrs.generator.ratings import RATING_MODELS


@dataclass(frozen=True)
class SamplingChoices:
    """``pairing``: shapes (pairing.py) or draws (every draw's pair, the reference); ``rating_model``: calibrated
    (rating_head.py) or one of ratings.py's maps of the GAN's rating column; ``match_shapes``: the draws
    pairing's cluster sizes follow the shapes; ``assignment_temperature``: 0 assigns each draw to its nearest
    user and item; ``centre_matching``: how the synthetic centres meet the real embeddings (the head's inputs,
    and where each user's and item's donors are looked for: profiles.py); ``donor_mix``: how many donors' mean
    profile each synthetic user takes (1: one real user's, as before 2026-12-06)."""

    pairing: str = "shapes"
    rating_model: str = "calibrated"
    match_shapes: bool = True
    assignment_temperature: float = 1.0
    centre_matching: str = "quantiles"
    # donors whose mean profile (re-spread) a synthetic user takes: one donor's histogram is a real user's, which
    # membership attacks find (AUC ~0.9 on ml-100k); two leave them near 0.5 and keep the users whole
    # (benchmarks/README.md, "Whole users against membership privacy"; docs/privacy.md)
    donor_mix: int = 2

    def validate(self):
        """Refuse unknown or contradictory choices in one line; returns self."""
        for name, allowed in (("pairing", PAIRINGS), ("rating_model", RATING_MODELS),
                              ("centre_matching", CENTRE_MATCHINGS)):
            if getattr(self, name) not in allowed:
                raise GanrsError(f"{name} must be one of {', '.join(allowed)}, not '{getattr(self, name)}'")
        if self.pairing == "shapes" and self.rating_model != "calibrated":
            raise GanrsError(f"rating model {self.rating_model} maps the GAN's rating of each draw: it needs "
                             "--pairing draws (the shapes pairing rates pairs no draw holds)")
        if self.pairing == "shapes" and not self.match_shapes:
            raise GanrsError("--no-match-shapes is a --pairing draws setting (the shapes pairing always follows "
                             "the shapes)")
        m = self.donor_mix
        if isinstance(m, bool) or not isinstance(m, int) or not 1 <= m <= DONORS:
            raise GanrsError(f"donor_mix must be a whole number of donors from 1 to {DONORS}, got {m!r}")
        if m != SamplingChoices.donor_mix and self.pairing != "shapes":
            raise GanrsError("--donor-mix is a --pairing shapes setting (it mixes the donors of its whole users: "
                             "--pairing draws has none)")
        t = self.assignment_temperature
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not 0 <= t < float("inf"):
            raise GanrsError(f"assignment_temperature must be >= 0 and finite, got {t!r}")
        return self

    def changed(self):
        """The choices that are not the defaults (what a dataset name's hash covers)."""
        default = SamplingChoices()
        return {k: v for k, v in asdict(self).items() if v != getattr(default, k)}

    @classmethod
    def names(cls):
        return tuple(f.name for f in fields(cls))

    @classmethod
    def of(cls, values):
        """The choices among ``values`` (a mapping, e.g. options or a sidecar's request); absent ones default."""
        return cls(**{k: values[k] for k in cls.names() if values.get(k) is not None})
