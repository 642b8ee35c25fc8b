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
from recbole_ganrs.generator.sampling import SamplingChoices
from recbole_ganrs.generator.scenario import SOURCE_SHAPE, check_shape, parse_cold
from recbole_ganrs.data.users import parse_shares
from recbole_ganrs.devices import DEVICES, resolve_device
from recbole_ganrs.limits import check_seed

DEFAULT_USERS, DEFAULT_ITEMS, DEFAULT_SAMPLES, DEFAULT_STD = 8000, 4000, 800_000, 2.5
MAX_YAML_BYTES = 100_000
MAX_GAN_STEPS = 10_000_000
MAX_GAN_BATCH = 1 << 20


def flag(help, *, owners=(), section="synthetic", aliases=(), nargs=None, choices=None, metavar=None,
         negate=None, grid=False):
    """Field metadata declaring an option's flag once: its help (``{default}`` is filled in), the generators that
    own it (a flag of an absent generator is refused), its argparse section, other names, and ``grid`` for a
    GANRS setting whose list of values makes one fit per value. ``negate``: a bool field's ``--no-...`` flag."""
    return {"flag": {"help": help, "owners": tuple(owners), "section": section, "aliases": tuple(aliases),
                     "nargs": nargs, "choices": choices, "metavar": metavar, "negate": negate, "grid": grid}}


def _ganrs(name):
    return setting_default("ganrs", name)


def _choice(name):
    """The default of a GANRS sampling choice (a request field: generator/sampling.py)."""
    return getattr(SamplingChoices(), name)


@dataclass
class GeneratorOptions:
    """Which synthetic datasets to make (or reuse) from which source. A field with ``flag`` metadata is a
    command-line flag and a YAML key; the argparse groups, the generator settings, the grid axes and the
    refusals of another generator's flags are all made from these declarations."""

    source: str = field(default=BUNDLED, metadata=flag(f"{BUNDLED} (bundled, default) or a RecBole atomic folder"))
    users: list[int] = field(default_factory=lambda: [DEFAULT_USERS], metadata=flag(
        "synthetic users, one dataset per value (default {default})", nargs="*"))
    items: int = field(default=DEFAULT_ITEMS, metadata=flag("synthetic items (default {default})"))
    samples: list[int] = field(default_factory=lambda: [DEFAULT_SAMPLES], metadata=flag(
        "generator draws (default {default}; ratings kept are fewer)"))
    ratings: Optional[list[int]] = field(default=None, metadata=flag(
        "distinct ratings of each dataset: draw until there are this many (instead of --samples)"))
    std: list[float] = field(default_factory=lambda: [DEFAULT_STD], metadata=flag(
        "std of the generator's input noise (default {default})"))
    generators: list[str] = field(default_factory=lambda: ["ganrs"], metadata=flag(
        "ganrs (default); cfgan: a GAN on raw rating vectors; statistical: the source's marginals",
        aliases=("--generator",), choices=list(GENERATORS)))
    gan: list[str] = field(default_factory=lambda: [_ganrs("gan")], metadata=flag(
        "ganrs: the GAN variant (default {default})", owners=("ganrs",), choices=list(GAN_KINDS), grid=True))
    embedding_size: list[int] = field(default_factory=lambda: [_ganrs("embedding_size")], metadata=flag(
        "ganrs: DeepMF embedding size (default {default})", owners=("ganrs",), grid=True))
    gan_steps: Optional[int] = field(default=None, metadata=flag(  # None: each GAN generator's default
        f"GAN training steps (default: ganrs {_ganrs('gan_steps')}, cfgan {setting_default('cfgan', 'gan_steps')})",
        owners=("ganrs", "cfgan")))
    gan_batch_size: Optional[int] = field(default=None, metadata=flag(
        f"GAN batch size (default: ganrs {_ganrs('gan_batch_size')}, cfgan {setting_default('cfgan', 'gan_batch_size')}); "
        "ganrs scales its learning rates with it (the reference: --gan-steps 20000 --gan-batch-size 32)",
        owners=("ganrs", "cfgan")))
    pairing: str = field(default=_choice("pairing"), metadata=flag(
        "ganrs: shapes chooses the rated pairs where each user's draws lie, as many per user and item as the "
        "source's shapes give; draws rates every draw's pair, the reference (default {default})",
        owners=("ganrs",), choices=list(PAIRINGS)))
    rating_model: str = field(default=_choice("rating_model"), metadata=flag(
        "ganrs: calibrated draws ratings from p(rating | user and item embeddings) learnt on the source; "
        "distribution cuts the GAN's rating column at the source's rating shares; mean shifts it to the "
        "source's mean, the reference (default {default})", owners=("ganrs",), choices=list(RATING_MODELS)))
    match_shapes: bool = field(default=_choice("match_shapes"), metadata=flag(
        "ganrs --pairing draws: plain k-means ids (the reference) instead of cluster sizes at the source's "
        "activity/popularity shapes", owners=("ganrs",), negate="--no-match-shapes"))
    assignment_temperature: float = field(default=_choice("assignment_temperature"), metadata=flag(
        "ganrs: 0 assigns each draw to its nearest user and item (the reference); above 0 draws one of the "
        "nearest at this temperature, so that draws spread over neighbouring pairs (default {default})",
        owners=("ganrs",)))
    centre_matching: str = field(default=_choice("centre_matching"), metadata=flag(
        "ganrs --rating-model calibrated: the synthetic users' and items' centres are mapped onto the real "
        "embeddings' distribution before the rating head rates them: quantiles (each principal axis's whole "
        "marginal) or moments (mean and covariance only, as before 2026-12-02) (default {default})",
        owners=("ganrs",), choices=list(CENTRE_MATCHINGS)))
    donor_mix: int = field(default=_choice("donor_mix"), metadata=flag(
        "ganrs --pairing shapes: each synthetic user's rating histogram, spread over item popularity and activity "
        "rank are the mean of this many donors' (real users near it, drawn without replacement), re-spread to "
        "one donor's spread; 1: one real user's, which membership attacks find (docs/privacy.md) (default "
        "{default})",
        owners=("ganrs",), metavar="M"))
    condition: Optional[str] = field(default=None, metadata=flag(
        "ganrs: condition the GAN on a user attribute of the source's .user file (CGANRS): categorical "
        "(gender, occupation) or numeric in bands (age:18,25,35,50); the synthetic dataset gets a .user file",
        owners=("ganrs",), metavar="ATTR"))
    item_attributes: Optional[str] = field(default=None, metadata=flag(
        "ganrs: fields of the source's .item file each synthetic item carries, e.g. release_year,class (token, "
        "token_seq or float fields; each synthetic item takes those of a real item near it in embedding space); "
        "the synthetic dataset gets a .item file", owners=("ganrs",), metavar="FIELD,..."))
    dp_epsilon: Optional[float] = field(default=None, metadata=flag(
        "ganrs: fit with user-level (epsilon, delta)-differential privacy (Opacus DP-SGD on every stage that reads "
        "the source, a user's ratings clipped as one; docs/privacy.md); samples the paper's path only: add "
        "--pairing draws --rating-model distribution --no-match-shapes", owners=("ganrs",), metavar="E"))
    dp_delta: Optional[float] = field(default=None, metadata=flag(
        f"ganrs --dp-epsilon: the delta (default {_ganrs('dp_delta'):g}; below 1 / the source's users)",
        owners=("ganrs",), metavar="D"))
    seeds: list[int] = field(default_factory=lambda: [0])  # the datasets are made with the first
    data_dir: str = field(default="dataset_atomic", metadata=flag(
        "where synthetic datasets and fits are kept (default {default})", aliases=("--out",)))
    # scenarios (generator/scenario.py), applied to every dataset of the run
    activity: str = field(default=SOURCE_SHAPE, metadata=flag(
        "ratings per synthetic user: source (default), uniform, or zipf:A (imbalance; ganrs and statistical)",
        section="scenario"))
    popularity: str = field(default=SOURCE_SHAPE, metadata=flag(
        "ratings per synthetic item: source (default), uniform, or zipf:A", section="scenario"))
    cold_users: Optional[str] = field(default=None, metadata=flag(  # "F:K"
        "user cold start: a share F of the users keep at most K ratings each, e.g. 0.3:5", section="scenario",
        metavar="F:K"))
    cold_items: Optional[str] = field(default=None, metadata=flag(
        "item cold start: a share F of the items keep at most K ratings", section="scenario", metavar="F:K"))
    binary: Optional[float] = field(default=None, metadata=flag(
        "like / dislike ratings: rating >= Q -> 1, else 0", section="scenario", metavar="Q"))
    group_shares: Optional[str] = field(default=None, metadata=flag(
        "with --condition: the share of synthetic users in each group, e.g. F:0.3 (groups not named share the "
        "rest at the source's proportions; default: the source's shares)", section="scenario",
        metavar="VALUE:SHARE,..."))
    duplicates: str = field(default="error", metadata=flag(
        "a source's repeated (user, item) pairs: error (default), or keep the first, the last or the mean "
        "(rounded to the scale) rating, as RecBole's rm_dup_inter", choices=list(DUPLICATE_POLICIES)))
    min_user_ratings: int = field(default=1, metadata=flag(  # RecBole's user_inter_num_interval
        "drop the source's users with fewer than K ratings (and, with --min-item-ratings, repeat until both "
        "hold), as RecBole's user_inter_num_interval; default 1: keep all", metavar="K"))
    min_item_ratings: int = field(default=1, metadata=flag("drop the source's items with fewer than K ratings",
                                                           metavar="K"))
    privacy_holdout: Optional[float] = field(default=None, metadata=flag(
        "hold out this share of the source's users before any fit (the generators learn the rest, which the "
        "benchmark also trains on), and report whether synthetic users are nearer the learnt users than the held-out "
        "ones (sdmetrics' DCR overfitting protection); off by default: it changes the fit", metavar="F"))
    progress: bool = field(default=True, metadata=flag("no progress bars", negate="--no-progress",
                                                       aliases=("--quiet",)))
    address: Optional[str] = field(default=None, metadata=flag(
        "an existing Ray cluster: the synthetic datasets are generated there in blocks of users (the same bytes as "
        "on this machine) and the benchmark's trials run there (default: this process's threads, a local Ray for "
        "the trials)", metavar="HOST:PORT"))
    device: Optional[str] = field(default=None, metadata=flag(  # None: cuda when torch sees a GPU, else cpu
        "where the fit, the sampling and the trials run (default: cuda when torch sees a GPU, else cpu)",
        choices=list(DEVICES)))

    def prepare_source(self):
        """The source as a run reads it (converted once when RecBole cannot read it as it is, or when the
        duplicates and rating-count settings change it): see data/prepare.py."""
        return self.prepared_source()[0]

    def prepared_source(self):
        """(:meth:`prepare_source`'s source, its ratings): the source read once."""
        from recbole_ganrs.data import load_ratings
        from recbole_ganrs.data.prepare import holdout_source, prepared_source

        source, ratings = prepared_source(self.source, self.data_dir, self.duplicates, self.min_user_ratings,
                                          self.min_item_ratings)
        if self.privacy_holdout is None:
            return source, ratings
        held = holdout_source(source, self.data_dir, self.privacy_holdout, self.dataset_seed)
        return held, load_ratings(held)

    @property
    def dataset_seed(self):
        return self.seeds[0]

    def sampling_choices(self, kind):
        """The request's sampling choices for a generator of ``kind`` (only GANRS has any)."""
        if not GENERATORS[kind].takes_sampling_choices:
            return SamplingChoices()
        return SamplingChoices.of({name: getattr(self, name) for name in SamplingChoices.names()})

    def scenario_fields(self):
        """The request fields of the scenario flags (cold start parsed from F:K, group shares from V:S,...)."""
        return {"activity": self.activity, "popularity": self.popularity, "binary": self.binary,
                "cold_users": parse_cold(self.cold_users) if self.cold_users is not None else None,
                "cold_items": parse_cold(self.cold_items) if self.cold_items is not None else None,
                "group_shares": parse_shares(self.group_shares) if self.group_shares is not None else None}


def declared_flags(options_class=None):
    """(field, its flag declaration) of every option that is a flag, in declaration order."""
    return [(f, f.metadata["flag"]) for f in dataclasses.fields(options_class or GeneratorOptions)
            if "flag" in f.metadata]


def grid_settings():
    """The GANRS settings whose list of values makes a grid (one fit per combination)."""
    return [f.name for f, d in declared_flags() if d["grid"]]


SECTIONS = {"synthetic": "synthetic datasets (list values make a grid)",
            "scenario": "scenarios (the paper's future work; any generator unless said)"}


def _default_text(f):
    value = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
    if isinstance(value, list):
        return " ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def add_flags(group, options_class, declared, help_overrides=None):
    """Add the argparse argument of each declared option ``[(field, declaration)]`` of ``options_class`` to
    ``group``: its type and nargs from the field's type hint, its help from the declaration (``{default}``
    filled in from the field), every default None so that a flag left out is told from one given
    (``explicit_values``)."""
    hints = typing.get_type_hints(options_class)
    for f, d in declared:
        text = (help_overrides or {}).get(f.name) or d["help"].replace("{default}", _default_text(f))
        names = [d["negate"] or f"--{f.name.replace('_', '-')}", *d["aliases"]]
        if hints[f.name] is bool:
            group.add_argument(*names, dest=f.name, action="store_false" if d["negate"] else "store_true",
                               default=None, help=text)
            continue
        hint = hints[f.name]
        if typing.get_origin(hint) is typing.Union:
            hint = next(a for a in typing.get_args(hint) if a is not type(None))
        listed = hint is list or typing.get_origin(hint) is list
        kind = (typing.get_args(hint) or (str,))[0] if listed else hint
        group.add_argument(*names, dest=f.name, type=kind if kind is not str else None,
                           nargs=d["nargs"] or ("+" if listed else None), choices=d["choices"], metavar=d["metavar"],
                           help=text)


def add_generator_arguments(parser, users_help=None):
    """The shared flags of the synthetic datasets, made from :class:`GeneratorOptions`' declarations."""
    sections = {key: parser.add_argument_group(title) for key, title in SECTIONS.items()}
    for f, d in declared_flags():  # in declaration order, each in its section's group
        add_flags(sections[d["section"]], GeneratorOptions, [(f, d)], {"users": users_help} if users_help else None)
    return sections["synthetic"]


def generator_settings(opts, kind, grid_point=()):
    """The settings of one generator of the run, from the options and a GANRS grid point
    (sorted (setting, value) pairs): the one place flags become generator settings (every declared flag
    that the generator owns and has as a setting; a None means the generator's own default)."""
    fields = {f.name for f in dataclasses.fields(GENERATORS[kind])}
    settings = {"seed": opts.dataset_seed, "progress": opts.progress, **dict(grid_point)}
    for f, d in declared_flags():
        if kind in d["owners"] and f.name in fields and not d["grid"] and getattr(opts, f.name) is not None:
            settings[f.name] = getattr(opts, f.name)
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
    if "ganrs" in opts.generators:  # its settings' and sampling choices' own checks, before any work
        ganrs = GENERATORS["ganrs"](**generator_settings(opts, "ganrs"))
        ganrs.check_sampling(opts.sampling_choices("ganrs").validate())
    default = GeneratorOptions()
    for f, d in declared_flags():
        owners = d["owners"]
        if owners and getattr(opts, f.name) != getattr(default, f.name) and not set(owners) & set(opts.generators):
            raise GanrsError(f"the {', '.join(opts.generators)} generator has no setting {f.name} "
                             f"(--{f.name.replace('_', '-')} is a {' / '.join(owners)} setting)")
    if opts.privacy_holdout is not None and not 0 < opts.privacy_holdout < 1:
        raise GanrsError(f"--privacy-holdout must be a share of the users in (0, 1), got {opts.privacy_holdout:g}")
    if opts.group_shares is not None and opts.condition is None:
        raise GanrsError("--group-shares needs --condition ATTR (the user attribute whose groups they share)")


def resolved_options(opts):
    """A copy of validated options with what depends on this machine decided once (the device: cuda
    when torch sees a GPU and none was asked); the options are never changed after this."""
    return dataclasses.replace(opts, device=resolve_device(opts.device))
