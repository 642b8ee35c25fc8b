"""Options of the synthetic datasets, shared by ``generate`` and ``benchmark``: one argument group,
one set of defaults (the dataclass below, and the generators' own settings), one way from flags to settings.

List values make a grid: one synthetic dataset per generator x users x samples x std
(x gan x embedding size for GANRS), which is how the ablations run.
"""
import dataclasses
import typing
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import yaml

from recbole_ganrs.data import BUNDLED, DUPLICATE_POLICIES
from recbole_ganrs.errors import GanrsError
from recbole_ganrs.files import check_output_folder
from recbole_ganrs.generator import GAN_KINDS, GENERATORS, setting_default
from recbole_ganrs.generator.pairing import PAIRINGS
from recbole_ganrs.generator.rating_head import CENTRE_MATCHINGS
from recbole_ganrs.generator.ratings import RATING_MODELS
from recbole_ganrs.generator.scenario import SOURCE_SHAPE, check_shape, parse_cold
from recbole_ganrs.devices import DEVICES, resolve_device
from recbole_ganrs.limits import check_seed

DEFAULT_USERS, DEFAULT_ITEMS, DEFAULT_SAMPLES, DEFAULT_STD = 8000, 4000, 800_000, 2.5
MAX_YAML_BYTES = 100_000
MAX_GAN_STEPS = 10_000_000
MAX_GAN_BATCH = 1 << 20


@dataclass
class GeneratorOptions:
    """Which synthetic datasets to make (or reuse) from which source."""

    source: str = BUNDLED
    users: list[int] = field(default_factory=lambda: [DEFAULT_USERS])
    items: int = DEFAULT_ITEMS
    samples: list[int] = field(default_factory=lambda: [DEFAULT_SAMPLES])
    ratings: Optional[list[int]] = None  # distinct ratings per dataset, instead of a number of draws
    std: list[float] = field(default_factory=lambda: [DEFAULT_STD])
    generators: list[str] = field(default_factory=lambda: ["ganrs"])
    gan: list[str] = field(default_factory=lambda: [setting_default("ganrs", "gan")])
    embedding_size: list[int] = field(default_factory=lambda: [setting_default("ganrs", "embedding_size")])
    gan_steps: Optional[int] = None  # None: each GAN generator's default
    gan_batch_size: Optional[int] = None  # None: each GAN generator's default
    pairing: str = setting_default("ganrs", "pairing")
    rating_model: str = setting_default("ganrs", "rating_model")
    match_shapes: bool = setting_default("ganrs", "match_shapes")
    assignment_temperature: float = setting_default("ganrs", "assignment_temperature")
    centre_matching: str = setting_default("ganrs", "centre_matching")
    seeds: list[int] = field(default_factory=lambda: [0])  # the datasets are made with the first
    data_dir: str = "dataset_atomic"
    # scenarios (generator/scenario.py), applied to every dataset of the run
    activity: str = SOURCE_SHAPE
    popularity: str = SOURCE_SHAPE
    cold_users: Optional[str] = None  # "F:K"
    cold_items: Optional[str] = None
    binary: Optional[float] = None
    duplicates: str = "error"  # repeated (user, item) pairs of the source: error, or keep first / last / mean
    min_user_ratings: int = 1  # the source's users with fewer ratings are dropped (RecBole's user_inter_num_interval)
    min_item_ratings: int = 1
    progress: bool = True
    device: Optional[str] = None  # None: cuda when torch sees a GPU, else cpu

    def prepare_source(self):
        """The source as a run reads it (converted once when RecBole cannot read it as it is, or when the
        duplicates and rating-count settings change it): see data/prepare.py."""
        from recbole_ganrs.data import prepare_source

        return prepare_source(self.source, self.data_dir, self.duplicates, self.min_user_ratings,
                              self.min_item_ratings)

    @property
    def dataset_seed(self):
        return self.seeds[0]

    def scenario_fields(self):
        """The request fields of the scenario flags (cold start parsed from F:K)."""
        return {"activity": self.activity, "popularity": self.popularity, "binary": self.binary,
                "cold_users": parse_cold(self.cold_users) if self.cold_users is not None else None,
                "cold_items": parse_cold(self.cold_items) if self.cold_items is not None else None}


def add_generator_arguments(parser, users_help=None):
    """The shared flags of the synthetic datasets (their defaults come from :class:`GeneratorOptions`)."""
    d = GeneratorOptions()
    g = parser.add_argument_group("synthetic datasets (list values make a grid)")
    add = g.add_argument
    add("--source", help=f"{BUNDLED} (bundled, default) or a RecBole atomic folder")
    add("--users", type=int, nargs="*",
        help=users_help or f"synthetic users, one dataset per value (default {d.users[0]})")
    add("--items", type=int, help=f"synthetic items (default {d.items})")
    add("--samples", type=int, nargs="+", help=f"generator draws (default {d.samples[0]}; ratings kept are fewer)")
    add("--ratings", type=int, nargs="+",
        help="distinct ratings of each dataset: draw until there are this many (instead of --samples)")
    add("--std", type=float, nargs="+", help=f"std of the generator's input noise (default {d.std[0]:g})")
    add("--generators", "--generator", nargs="+", choices=list(GENERATORS),
        help="ganrs (default); cfgan: a GAN on raw rating vectors; statistical: the source's marginals")
    add("--gan", nargs="+", choices=list(GAN_KINDS), help=f"ganrs: the GAN variant (default {d.gan[0]})")
    add("--embedding-size", type=int, nargs="+",
        help=f"ganrs: DeepMF embedding size (default {d.embedding_size[0]})")
    add("--gan-steps", type=int, help="GAN training steps (default: ganrs "
        f"{setting_default('ganrs', 'gan_steps')}, cfgan {setting_default('cfgan', 'gan_steps')})")
    add("--gan-batch-size", type=int, help="GAN batch size (default: ganrs "
        f"{setting_default('ganrs', 'gan_batch_size')}, cfgan {setting_default('cfgan', 'gan_batch_size')}); "
        "ganrs scales its learning rates with it (the reference: --gan-steps 20000 --gan-batch-size 32)")
    add("--pairing", choices=list(PAIRINGS),
        help="ganrs: shapes chooses the rated pairs where each user's draws lie, as many per user and item as "
             "the source's shapes give; draws rates every draw's pair, the reference "
             f"(default {d.pairing})")
    add("--rating-model", choices=list(RATING_MODELS),
        help="ganrs: calibrated draws ratings from p(rating | user and item embeddings) learnt on the source; "
             "distribution cuts the GAN's rating column at the source's rating shares; mean shifts it to the "
             f"source's mean, the reference (default {d.rating_model})")
    add("--no-match-shapes", dest="match_shapes", action="store_false", default=None,
        help="ganrs --pairing draws: plain k-means ids (the reference) instead of cluster sizes at the source's "
             "activity/popularity shapes")
    add("--assignment-temperature", type=float,
        help="ganrs: 0 assigns each draw to its nearest user and item (the reference); above 0 draws one of "
             "the nearest at this temperature, so that draws spread over neighbouring pairs "
             f"(default {d.assignment_temperature:g})")
    add("--centre-matching", choices=list(CENTRE_MATCHINGS),
        help="ganrs --rating-model calibrated: the synthetic users' and items' centres are mapped onto the real "
             "embeddings' distribution before the rating head rates them: quantiles (each principal axis's "
             "whole marginal) or moments (mean and covariance only, as before 2026-12-02) "
             f"(default {d.centre_matching})")
    add("--duplicates", choices=list(DUPLICATE_POLICIES),
        help="a source's repeated (user, item) pairs: error (default), or keep the first, the last or the mean "
             "(rounded to the scale) rating, as RecBole's rm_dup_inter")
    add("--min-user-ratings", type=int, metavar="K",
        help="drop the source's users with fewer than K ratings (and, with --min-item-ratings, repeat until "
             "both hold), as RecBole's user_inter_num_interval; default 1: keep all")
    add("--min-item-ratings", type=int, metavar="K", help="drop the source's items with fewer than K ratings")
    add("--data-dir", "--out", dest="data_dir", help=f"where synthetic datasets and fits are kept (default {d.data_dir})")
    s = parser.add_argument_group("scenarios (the paper's future work; any generator unless said)")
    s.add_argument("--activity", help="ratings per synthetic user: source (default), uniform, or zipf:A "
                                      "(imbalance; ganrs and statistical)")
    s.add_argument("--popularity", help="ratings per synthetic item: source (default), uniform, or zipf:A")
    s.add_argument("--cold-users", metavar="F:K", help="user cold start: a share F of the users keep at most K "
                                                       "ratings each, e.g. 0.3:5")
    s.add_argument("--cold-items", metavar="F:K", help="item cold start: a share F of the items keep at most K ratings")
    s.add_argument("--binary", metavar="Q", type=float, help="like / dislike ratings: rating >= Q -> 1, else 0")
    add("--device", choices=list(DEVICES), help="where the fit, the sampling and the trials run "
                                                 "(default: cuda when torch sees a GPU, else cpu)")
    add("--no-progress", "--quiet", dest="progress", action="store_false", default=None, help="no progress bars")
    return g


def generator_settings(opts, kind, grid_point=()):
    """The settings of one generator of the run, from the options and a GANRS grid point
    (sorted (setting, value) pairs): the one place flags become generator settings."""
    fields = {f.name for f in dataclasses.fields(GENERATORS[kind])}
    settings = {"seed": opts.dataset_seed, "progress": opts.progress, **dict(grid_point)}
    for key in ("gan_steps", "gan_batch_size"):
        if getattr(opts, key) is not None and key in fields:
            settings[key] = getattr(opts, key)
    if kind == "ganrs":
        settings.update(pairing=opts.pairing, rating_model=opts.rating_model, match_shapes=opts.match_shapes,
                        assignment_temperature=opts.assignment_temperature, centre_matching=opts.centre_matching)
    return settings


class _NoAliasLoader(yaml.SafeLoader):
    """SafeLoader without anchors and aliases: a few lines of aliases can expand to gigabytes (a YAML bomb),
    and an options file never needs them."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.events.AliasEvent):
            raise GanrsError(f"YAML aliases (*name) are not allowed in an options file "
                             f"(line {self.peek_event().start_mark.line + 1})")
        return super().compose_node(parent, index)


def read_yaml(path, options_class):
    """Options from a YAML file (flag names with underscores): unknown keys warn, wrong types are errors."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise GanrsError(f"config file {path} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise GanrsError(f"config file {path} cannot be read ({exc})") from None
    if len(text) > MAX_YAML_BYTES:
        raise GanrsError(f"config file {path} is {len(text):,} bytes; an options file is at most {MAX_YAML_BYTES:,}")
    try:
        data = yaml.load(text, Loader=_NoAliasLoader) or {}
    except yaml.YAMLError as exc:
        raise GanrsError(f"config file {path} is not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise GanrsError(f"config file {path} must hold a mapping of option: value")
    hints = typing.get_type_hints(options_class)
    out = {}
    for key, value in data.items():
        if key not in hints:
            warnings.warn(f"{path}: unknown option '{key}' ignored", stacklevel=2)
            continue
        out[key] = check_type(key, value, hints[key])
    return out


def check_type(key, value, hint):
    """``value`` as the option's annotated type (``Optional[list[int]]``...), or a one-line error."""
    optional = typing.get_origin(hint) is typing.Union and type(None) in typing.get_args(hint)
    if optional:
        hint = next(a for a in typing.get_args(hint) if a is not type(None))
    if value is None:
        if optional:
            return None
        raise GanrsError(f"option '{key}' needs a value")
    if typing.get_origin(hint) is list:
        kind = typing.get_args(hint)[0]
        values = value if isinstance(value, list) else [value]
        try:
            return [_scalar(v, kind) for v in values]
        except TypeError:
            raise GanrsError(f"option '{key}' must be a list of {kind.__name__}, got {value!r}") from None
    try:
        return _scalar(value, hint)
    except TypeError:
        raise GanrsError(f"option '{key}' must be {hint.__name__}, got {value!r}") from None


def _scalar(value, kind):
    if isinstance(value, bool) and kind is not bool:
        raise TypeError
    if kind is float and isinstance(value, (int, float)):
        return float(value)
    if not isinstance(value, kind):
        raise TypeError
    return value


def explicit_values(args):
    """The flags given on the command line (argparse leaves the others None)."""
    return {k: v for k, v in vars(args).items() if v is not None and k not in ("func", "command")}


def validate_generator_options(opts, explicit=()):
    for key in ("seeds", "samples", "std", "generators", "gan", "embedding_size"):
        if not getattr(opts, key):
            raise GanrsError(f"--{key.replace('_', '-')} needs at least one value")
    if opts.ratings is not None and (not opts.ratings or "samples" in explicit):
        raise GanrsError("give --ratings (distinct ratings) or --samples (draws), not both; --ratings needs a value")
    for seed in opts.seeds:
        check_seed(seed)
    check_output_folder(opts.data_dir)
    for key in ("min_user_ratings", "min_item_ratings"):
        if not 1 <= getattr(opts, key) <= 1_000_000:
            raise GanrsError(f"--{key.replace('_', '-')} must be in 1..1,000,000, got {getattr(opts, key)}")
    if opts.duplicates not in DUPLICATE_POLICIES:
        raise GanrsError(f"duplicates must be one of {', '.join(DUPLICATE_POLICIES)}, not '{opts.duplicates}'")
    if opts.gan_steps is not None and not 1 <= opts.gan_steps <= MAX_GAN_STEPS:
        raise GanrsError(f"gan_steps must be in 1..{MAX_GAN_STEPS:,}, got {opts.gan_steps}")
    if opts.gan_batch_size is not None and not 2 <= opts.gan_batch_size <= MAX_GAN_BATCH:
        raise GanrsError(f"gan_batch_size must be in 2..{MAX_GAN_BATCH:,}, got {opts.gan_batch_size}")
    resolve_device(opts.device)  # refuses cuda without a GPU; resolved_options keeps the answer
    opts.scenario_fields()  # cold start F:K parses
    check_shape(opts.activity, "activity")
    check_shape(opts.popularity, "popularity")
    unknown = sorted(set(opts.generators) - set(GENERATORS))
    if unknown:
        raise GanrsError(f"unknown generator(s) {unknown} (choose from {', '.join(GENERATORS)})")
    if set(opts.gan) - set(GAN_KINDS) or any(e < 1 for e in opts.embedding_size):
        raise GanrsError(f"gan must be one of {', '.join(GAN_KINDS)} and embedding sizes >= 1, "
                         f"got {opts.gan} {opts.embedding_size}")
    if "ganrs" in opts.generators:  # its settings' own checks (pairing, rating model...), before any work
        GENERATORS["ganrs"](**generator_settings(opts, "ganrs"))
    default = GeneratorOptions()
    for key, owners in (("gan", ["ganrs"]), ("embedding_size", ["ganrs"]), ("rating_model", ["ganrs"]),
                        ("pairing", ["ganrs"]), ("match_shapes", ["ganrs"]), ("assignment_temperature", ["ganrs"]),
                        ("centre_matching", ["ganrs"]),
                        ("gan_steps", ["ganrs", "cfgan"]), ("gan_batch_size", ["ganrs", "cfgan"])):
        if getattr(opts, key) != getattr(default, key) and not set(owners) & set(opts.generators):
            raise GanrsError(f"the {', '.join(opts.generators)} generator has no setting {key} "
                             f"(--{key.replace('_', '-')} is a {' / '.join(owners)} setting)")


def resolved_options(opts):
    """A copy of validated options with what depends on this machine decided once (the device: cuda
    when torch sees a GPU and none was asked); the options are never changed after this."""
    return dataclasses.replace(opts, device=resolve_device(opts.device))
