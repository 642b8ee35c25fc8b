"""``--scenario NAME V1 V2 ...``: a grid over one scenario setting of the synthetic datasets (one dataset per
value, everything else as the other flags say), reported as each model's F1 against the setting.

    --scenario cold-users 0 0.3 0.6      # share of cold users (K = 5 ratings, or F:K per value)
    --scenario activity source uniform zipf:1.5
    --scenario ratings 100000 353269     # density: heavy sparsity
    --scenario binary 4 5                # like / dislike at rating >= Q
    --scenario group-share F:0.1 F:0.3   # with --condition gender: the share of each group's users
"""
from dataclasses import dataclass, replace

from recbole_ganrs.data.users import parse_shares
from recbole_ganrs.errors import GanrsError
from recbole_ganrs.generator.scenario import check_shape, parse_cold

COLD_K = 5  # cold users / items keep at most this many ratings unless a value says F:K


def _cold(text):
    """F (K = COLD_K) or F:K; a share of 0 is no cold start (the plain dataset)."""
    cold = parse_cold(text if ":" in str(text) else f"{text}:{COLD_K}")
    return None if cold[0] == 0 else cold


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise ValueError("not an integer") from None
    if value < 1:
        raise ValueError("a rating count must be at least 1")
    return value


#: scenario name -> (the SampleRequest field it sets, how a value is read)
SETTINGS = {
    "ratings": ("ratings", _positive_int),
    "activity": ("activity", lambda v: check_shape(str(v), "activity")),
    "popularity": ("popularity", lambda v: check_shape(str(v), "popularity")),
    "cold-users": ("cold_users", _cold),
    "cold-items": ("cold_items", _cold),
    "binary": ("binary", float),
    "group-share": ("group_shares", parse_shares),
}


@dataclass(frozen=True)
class Scenario:
    """One setting and its values: ``values`` as the request takes them, ``labels`` as given."""

    name: str
    field: str
    values: tuple
    labels: tuple

    def apply(self, request, value):
        if self.field == "ratings":  # a rating count replaces the number of draws
            return replace(request, samples=None, ratings=value)
        return replace(request, **{self.field: value})

    def cold_k(self, request):
        """K of a cold-start scenario's request (its cold users / items have at most K ratings), else None."""
        cold = getattr(request, self.field) if self.field in ("cold_users", "cold_items") else None
        return cold[1] if cold else None


def parse_scenario(tokens):
    """A :class:`Scenario` from ``[name, value, value, ...]``."""
    tokens = [str(t) for t in tokens]
    if len(tokens) < 3 or tokens[0] not in SETTINGS:
        raise GanrsError(f"--scenario needs a setting ({', '.join(SETTINGS)}) and at least two values, "
                         f"got {' '.join(tokens) or 'nothing'}")
    field, read = SETTINGS[tokens[0]]
    values = []
    for text in tokens[1:]:
        try:
            values.append(read(text))
        except (ValueError, GanrsError) as exc:
            reason = str(exc).strip() or "not a number"
            raise GanrsError(f"--scenario {tokens[0]}: bad value {text!r} ({reason})") from None
    if len(set(values)) < len(values):
        raise GanrsError(f"--scenario {tokens[0]}: repeated values {tokens[1:]}")
    return Scenario(tokens[0], field, tuple(values), tuple(tokens[1:]))
