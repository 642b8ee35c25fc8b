"""The dataset card: a ``README.md`` in every synthetic dataset folder, for the researcher who publishes it.

It says what the dataset is made from (the source's name and content hash), by what (generator, settings,
request, seeds), how faithful and how hard it is beside its source (the ``stats`` tables: Table IV, fidelity with
the detection AUC and privacy, structure, per-group fidelity of a conditioned dataset), and the command that
remakes it. Written after the dataset and its sidecar, atomically; the sidecar stays the machine-readable record.
"""
import dataclasses
import math
import shlex
from dataclasses import asdict
from pathlib import Path

from tabulate import tabulate

from recbole_ganrs.data.sidecar import read_sidecar
from recbole_ganrs.files import replaced_on_success
from recbole_ganrs.generator import GENERATORS
from recbole_ganrs.generator.sampling import SamplingChoices
from recbole_ganrs.options import GeneratorOptions, declared_flags
from recbole_ganrs.stats.structure import MF_MAX_RATINGS

CARD = "README.md"


def remake_command(meta):
    """The ``recbole-ganrs generate`` command that makes the dataset ``meta`` (its sidecar) describes."""
    request, settings, kind = meta["request"], meta["settings"], meta["generator"]
    conversion = meta.get("source_conversion") or {}
    args = ["recbole-ganrs", "generate", "--source", conversion.get("original", meta["source"]),
            "--generators", kind, "--users", str(request["users"]), "--items", str(request["items"])]
    args += ["--ratings", str(request["ratings"])] if request.get("ratings") else ["--samples", str(request["samples"])]
    args += ["--std", f"{request['std']:g}", "--seed", str(request["seed"])]
    defaults = GeneratorOptions()
    for key in ("duplicates", "min_user_ratings", "min_item_ratings"):
        if conversion.get(key, getattr(defaults, key)) != getattr(defaults, key):
            args += [f"--{key.replace('_', '-')}", str(conversion[key])]
    if conversion.get("holdout"):  # a --privacy-holdout copy (its "original" is the source it was cut from)
        args += ["--privacy-holdout", f"{conversion['holdout']:g}"]
    scenario = {"activity": request.get("activity", "source"), "popularity": request.get("popularity", "source")}
    args += [a for k, v in scenario.items() if v != "source" for a in (f"--{k}", v)]
    for key in ("cold_users", "cold_items"):
        if request.get(key):
            args += [f"--{key.replace('_', '-')}", f"{request[key][0]:g}:{request[key][1]}"]
    if request.get("binary") is not None:
        args += ["--binary", f"{request['binary']:g}"]
    if request.get("group_shares"):
        args += ["--group-shares", ",".join(f"{v}:{s:g}" for v, s in request["group_shares"])]
    defaults = {**{f.name: f.default for f in dataclasses.fields(GENERATORS[kind])},
                **(asdict(SamplingChoices()) if GENERATORS[kind].takes_sampling_choices else {})}
    settings = {**settings, **(request.get("sampling") or {})}
    for f, d in declared_flags():
        value = settings.get(f.name)
        if kind not in d["owners"] or f.name not in defaults or value == defaults[f.name] or value is None:
            continue
        if isinstance(value, bool):
            args += [d["negate"]] if d["negate"] and not value else []
        else:
            args += [f"--{f.name.replace('_', '-')}", str(value)]
    return " ".join(shlex.quote(a) for a in args)


TABLES_HEADING = "## Fidelity, privacy and structure beside the source"


def card_tables(folder):
    """The stats tables of ``folder``'s card, as written (what ``generate`` prints: measured once, with the card)."""
    text = (Path(folder) / CARD).read_text(encoding="utf-8")
    section = text.split(TABLES_HEADING, 1)[1]
    return section[section.index("\n|"):].strip()  # from its first table: the paragraph above explains the card


MEMBERSHIP_HEADING = "## Membership inference"


def donor_mix(meta):
    """How many donors' profiles each user of the GANRS dataset a sidecar ``meta`` describes mixes (a sidecar
    from before mixes: one)."""
    return (meta["request"].get("sampling") or {}).get("donor_mix", 1)


#: what a card says when the attacks find GANRS's donors (docs/privacy.md measured the remedy and its price)
DONOR_LEAK = ("GANRS gives each synthetic user the rating histogram of {mix} real donor(s) (`--donor-mix`, default 2: "
              "their re-spread mean). On ml-100k the strongest attack reached AUC 0.90 with one donor, 0.52-0.56 with "
              "two, 0.50-0.53 with four; more donors cost fidelity (docs/privacy.md).")


def membership_lines(audit, generator=None, donor_mix=1):
    """The card's membership section: what the attacks found, and their table (None: none run); a leak of a
    ``generator`` 'ganrs' dataset says where it comes from (its ``donor_mix``) and what more donors measured."""
    if audit is None:
        return [MEMBERSHIP_HEADING, "", "No membership-inference attack was run: the generator learnt every source "
                "user, so there are no non-members to test against. Generate with `--privacy-holdout F` to run them "
                "(docs/privacy.md)."]
    sentence = audit.sentence()
    return [MEMBERSHIP_HEADING, "", f"{sentence[0].upper()}{sentence[1:]}.", "",
            "Members: users the generator learnt; non-members: the users held out of its fit (`--privacy-holdout`). "
            "AUC 0.5: the attack cannot tell them apart; the intervals hold for all the attacks at once; the TPR is "
            "the share of members found at 1% false positives (docs/privacy.md).", "",
            tabulate(audit.rows(), headers="keys", tablefmt="github", floatfmt="g"),
            *(["", DONOR_LEAK.format(mix=donor_mix)] if generator == "ganrs" and any(r.leaks for r in audit.results)
              else [])]


DP_HEADING = "## Differential privacy"
#: what a user-level guarantee covers, and what beside it does not (said on the card and in croissant.json)
DP_COVERS = ("The guarantee covers the `.inter` file and the fit's learnt state (the generator's weights, the item "
             "embeddings, the noisy statistics). It does not cover the measurements published beside them, which "
             "read the source without noise: this card's tables, the source digest in the sidecar, croissant.json "
             "and the saved fit, the embedding stage's RMSE kept with the fit, and any membership-inference figures; "
             "publish the `.inter` file alone when the release itself must be private (docs/privacy.md).")


def privacy_guarantee(meta):
    """One sentence of the guarantee a private fit's sidecar ``meta`` records; None for a fit without one."""
    dp = meta.get("differential privacy")
    if not dp:
        return None
    return (f"The fit is user-level ({dp['epsilon']:g}, {dp['delta']:g})-differentially private ({dp['adjacency']}; "
            f"{dp['accountant']} accountant, every step of its stages composed: epsilon {dp['composed epsilon']:g}; "
            f"each user's ratings clipped as one, at most {dp['max ratings read per user']} of them read)")


def dp_lines(meta):
    """The card's differential-privacy section: the guarantee and each stage's mechanism, or that there is none."""
    guarantee = privacy_guarantee(meta)
    if guarantee is None:
        return [DP_HEADING, "", "The fit is not differentially private (`--dp-epsilon E` fits GANRS under user-level "
                "differential privacy: docs/privacy.md)."]
    dp = meta["differential privacy"]
    stages = [{"stage": name, **values} for name, values in dp["stages"].items()]
    bound = min(1.0, math.exp(dp["epsilon"]) * 0.01 + dp["delta"])  # TPR <= e^eps FPR + delta (Kairouz et al.)
    return [DP_HEADING, "", guarantee + ".", "",
            f"What it bounds: no membership attack, however strong, finds more than {bound:.1%} of the users the fit "
            "learnt at 1% false positives (true-positive rate at most e^epsilon x 1% + delta).", "", DP_COVERS, "",
            "Each stage's mechanism (its epsilon: what it would spend alone at the fit's delta):", "",
            tabulate(stages, headers="keys", tablefmt="github", floatfmt="g")]


def card_text(folder, tables, membership=None):
    """The card of the synthetic dataset in ``folder`` (its sidecar read), with the ``stats`` ``tables`` and the
    ``membership`` audit (stats/membership.py; None: none run)."""
    folder = Path(folder)
    meta = read_sidecar(folder)
    request, settings = meta["request"], meta["settings"]
    lines = [f"# {folder.name}", "",
             f"A synthetic ratings dataset made by recbole-ganrs' `{meta['generator']}` generator from "
             f"`{meta['source']}` (content sha1 `{meta['source_sha1']}`). RecBole loads it with "
             f"`dataset: {folder.name}` and `data_path:` the folder above this one.", "",
             "## Remake it", "", "```", remake_command(meta), "```", "",
             "## What made it", "",
             f"- generator: {meta['generator']} (fit format {meta.get('format')}); settings: "
             + ", ".join(f"{k}={v}" for k, v in settings.items()),
             "- request: " + ", ".join(f"{k}={v}" for k, v in request.items() if v is not None),
             f"- delivered: {meta.get('delivered')}"]
    if meta.get("condition"):
        lines.append(f"- conditioned on the users' `{meta['condition']}` (the `.user` file); "
                     f"groups: {meta.get('groups')}")
    if meta.get("item_attributes"):
        lines.append(f"- items carry `{', '.join(meta['item_attributes'])}` (the `.item` file, each synthetic "
                     "item those of a real item near it in embedding space)")
    if meta.get("source_conversion"):
        lines.append(f"- the source as converted first: {meta['source_conversion'].get('changes')}")
    lines += ["", TABLES_HEADING, "",
              "Rating TVD, activity / popularity KS (0 = the source's shapes), detection AUC (0.5 = a classifier "
              "cannot tell its users' profiles from the source's), DCR (privacy: synthetic users' distance to the "
              "nearest real one in the embedding space, against real users' to each other), and the structure "
              "measures (how hard the data is).", ""]
    ratings = (meta.get("delivered") or {}).get("ratings", 0)
    if ratings > MF_MAX_RATINGS:
        lines += [f"Its MF RMSE is fitted on a seeded sample of whole users holding at most {MF_MAX_RATINGS:,} of its "
                  f"{ratings:,} ratings: the figure falls as the fit grows, so datasets above that size compare at "
                  "one size (docs/fidelity.md).", ""]
    for table in tables:
        lines += [table, ""]
    lines += [*membership_lines(membership, meta["generator"], donor_mix(meta)), ""]
    if meta["generator"] == "ganrs":
        lines += [*dp_lines(meta), ""]
    return "\n".join(lines)


def write_card(folder, split=None, measured=None):
    """Write ``folder``'s card (the stats tables computed now); returns its path. ``measured``: the frame just
    written as its ``.inter``, as data.atomic.as_measured gives it: measured from memory instead of read back."""
    from recbole_ganrs.stats import stats_tables
    from recbole_ganrs.stats.report import membership_audit

    folder = Path(folder)
    loaded = None if measured is None else {folder: measured}
    text = card_text(folder, stats_tables([read_sidecar(folder)["source"], folder], split=split, loaded=loaded),
                     membership_audit(folder))
    with replaced_on_success(folder / CARD) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")
    return folder / CARD
