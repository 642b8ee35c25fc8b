"""``croissant.json`` beside every synthetic dataset: its Croissant 1.0 metadata (MLCommons), with the
Responsible-AI fields, for the datasets tracks that ask for Croissant files.

The file describes the folder's RecBole atomic files as Croissant ``FileObject`` s (each with its sha256) and
their columns as ``RecordSet`` s: ``ratings`` (user_id, item_id, rating of the ``.inter``) and, where the dataset
has them, ``users`` (the ``.user`` attributes) and ``items`` (the ``.item`` attributes). A column is named as the
file's header names it (``user_id:token``: RecBole's typed header), a field by the plain name. The generator, its
settings, the source's sha1 and the command that remakes the dataset come from the sidecar (what the card shows);
the RAI fields say that the data is synthetic, how it was made, what privacy evidence there is and what it does
not show. ``mlcroissant`` validates the file and reads the records through it (tests/test_croissant.py).
"""
import datetime
import json
from pathlib import Path

from recbole_ganrs.data.sidecar import read_sidecar
from recbole_ganrs.datasets.card import DP_COVERS, donor_mix, privacy_guarantee, remake_command
from recbole_ganrs.files import file_digest, replaced_on_success

CROISSANT = "croissant.json"
CONFORMS_TO = "http://mlcommons.org/croissant/1.0"
#: Croissant 1.0's standard JSON-LD context, as its specification writes it
CONTEXT = {
    "@language": "en", "@vocab": "https://schema.org/", "citeAs": "cr:citeAs", "column": "cr:column",
    "conformsTo": "dct:conformsTo", "cr": "http://mlcommons.org/croissant/", "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"}, "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/", "examples": {"@id": "cr:examples", "@type": "@json"}, "extract": "cr:extract",
    "field": "cr:field", "fileProperty": "cr:fileProperty", "fileObject": "cr:fileObject", "fileSet": "cr:fileSet",
    "format": "cr:format", "includes": "cr:includes", "isLiveDataset": "cr:isLiveDataset", "jsonPath": "cr:jsonPath",
    "key": "cr:key", "md5": "cr:md5", "parentField": "cr:parentField", "path": "cr:path", "recordSet": "cr:recordSet",
    "references": "cr:references", "regex": "cr:regex", "samplingRate": "cr:samplingRate",
    "equivalentProperty": "cr:equivalentProperty", "repeated": "cr:repeated", "replace": "cr:replace",
    "sc": "https://schema.org/", "separator": "cr:separator", "source": "cr:source", "subField": "cr:subField",
    "transform": "cr:transform",
}
#: RecBole's atomic field types as Croissant data types (a token sequence is text: its values space-separated)
DATA_TYPES = {"token": "sc:Text", "token_seq": "sc:Text", "float": "sc:Float", "float_seq": "sc:Text"}
#: the atomic files described, and their record sets
RECORD_SETS = {"inter": "ratings", "user": "users", "item": "items"}
TSV = "text/tab-separated-values"


def header_fields(path):
    """[(column as the header names it, field name, RecBole type)] of an atomic file's header."""
    with open(path, encoding="utf-8") as f:
        columns = f.readline().rstrip("\n").split("\t")
    return [(c, *c.split(":", 1)) for c in columns]


def file_object(path, key):
    """The Croissant FileObject of an atomic file, ``@id`` ``key``."""
    return {"@type": "cr:FileObject", "@id": key, "name": path.name, "contentUrl": path.name,
            "encodingFormat": TSV, "sha256": file_digest(path, "sha256")}


def record_set(path, name, key, kept=None):
    """The record set ``name`` of the atomic file described as ``key``: one field per column (``kept``: the
    columns to describe, all if None)."""
    fields = [{"@type": "cr:Field", "@id": f"{name}/{field}", "name": field, "dataType": DATA_TYPES.get(kind, "sc:Text"),
               "source": {"fileObject": {"@id": key}, "extract": {"column": column}}}
              for column, field, kind in header_fields(path) if kept is None or field in kept]
    return {"@type": "cr:RecordSet", "@id": name, "name": name, "field": fields}


def privacy_text(meta, membership=None):
    """What the privacy evidence shows and what it does not; ``membership``: the dataset's MembershipAudit
    (stats/membership.py), None when no attack was run."""
    privacy = meta.get("privacy") or {}
    measured = ", ".join(f"{k} {v}" for k, v in privacy.items()) or "none recorded"
    attacks = (f"Membership inference (users held out of the fit as non-members): {membership.sentence()}; "
               "attacks on id-free user profiles only, so a stronger attacker may find more."
               if membership is not None else
               "No membership-inference attack has been run on this dataset (it needs users held out of the fit: "
               "--privacy-holdout).")
    guarantee = privacy_guarantee(meta)
    if guarantee is not None and not privacy:
        measured = "none (a private fit keeps no real user to measure a distance to)"
    mix = donor_mix(meta) if meta.get("generator") == "ganrs" and guarantee is None else None
    donors = ("" if mix is None else
              ", but each synthetic user's rating histogram is a source user's scaled to its own number of ratings "
              "(GANRS's donor profiles, --donor-mix 1)" if mix == 1 else
              f", each user's rating histogram the re-spread mean of {mix} source users' (GANRS's donor profiles)")
    return (f"Every user and rating is synthetic{donors}. Distance evidence (synthetic users' embeddings against "
            f"the source's): {measured}; distance tests can pass while membership-inference attacks succeed. "
            + attacks + (" The fit is not differentially private: this is not evidence that a source user's "
                         "participation cannot be inferred." if guarantee is None else
                         f" {guarantee}. {DP_COVERS.replace('`', '')}"))


def croissant(folder):
    """The Croissant metadata (a dict) of the synthetic dataset in ``folder``."""
    from recbole_ganrs.stats.report import membership_audit

    folder = Path(folder)
    meta = read_sidecar(folder)
    name = folder.name
    files = [folder / f"{name}.{kind}" for kind in RECORD_SETS if (folder / f"{name}.{kind}").is_file()]
    made = datetime.datetime.fromtimestamp(files[0].stat().st_mtime, datetime.timezone.utc).date().isoformat()
    settings = {**meta["settings"], **{k: v for k, v in meta["request"].items() if v is not None}}
    how = (f"Generated by recbole-ganrs' {meta['generator']} generator, fitted on the source dataset "
           f"'{meta['source']}' (content sha1 {meta['source_sha1']}), with settings {json.dumps(settings)}. "
           f"Remade by: {remake_command(meta)}")
    return {
        "@context": CONTEXT, "@type": "sc:Dataset", "conformsTo": CONFORMS_TO, "name": name,
        "description": (f"A synthetic ratings dataset ({meta.get('delivered')}) in RecBole's atomic format, made "
                        f"from '{meta['source']}' by recbole-ganrs. See README.md beside this file for its fidelity "
                        "to the source, how hard it is, and its privacy evidence."),
        "url": f"file:{name}", "version": "1.0.0", "datePublished": made,
        "license": "The source's terms of use apply to data derived from it: check them before publishing.",
        "citeAs": "Bobadilla J, Gutierrez A. Wasserstein GAN-based architectures to generate collaborative "
                  "filtering synthetic datasets. Applied Intelligence, 2024.",
        "isBasedOn": {"@type": "sc:Dataset", "name": meta["source"], "identifier": f"sha1:{meta['source_sha1']}"},
        "creator": {"@type": "sc:Organization", "name": "recbole-ganrs (the software that made it)"},
        "rai:dataCollection": how,
        "rai:dataCollectionType": "Synthetic data (generated by a model fitted on a source dataset)",
        "rai:dataBiases": ("The generator reproduces the source's biases (who rates, which items are popular, how "
                           "users rate) as closely as it can, and adds its own; the card's fidelity and detection "
                           "figures measure how far it is from the source."),
        "rai:dataLimitations": ("Users, items and ratings are synthetic: items carry no real identity, and results "
                                "on this data stand in for the source's only as far as the card's figures (and a "
                                "stand-in benchmark) show."),
        "rai:dataUseCases": ("Testing and comparing recommender models at sizes and shapes the source does not "
                             "have; sharing a stand-in for ratings that cannot be published."),
        "rai:personalSensitiveInformation": privacy_text(meta, membership_audit(folder)),
        "distribution": [file_object(f, f.suffix[1:]) for f in files],
        "recordSet": [record_set(f, RECORD_SETS[f.suffix[1:]], f.suffix[1:],
                                 meta.get("item_attributes") and ["item_id", *meta["item_attributes"]]
                                 if f.suffix == ".item" else None) for f in files],
    }


def split_croissant(folder, name, seed, origin):
    """The Croissant metadata of a saved split (``--save-splits``: ``folder`` holds ``<name>.<part>.inter`` for the
    parts train, valid, test) of dataset ``name`` at trial seed ``seed``; ``origin`` the dataset's folder (its
    sidecar, when synthetic, gives how it was made and its privacy evidence)."""
    from recbole_ganrs.evaluation.splits import PARTS
    from recbole_ganrs.stats.report import membership_audit

    folder = Path(folder)
    meta = read_sidecar(origin) if origin is not None else None
    files = {part: folder / f"{name}.{part}.inter" for part in PARTS}
    made = "synthetic, made by recbole-ganrs (its croissant.json and README.md say how)" if meta else "a real dataset"
    return {
        "@context": CONTEXT, "@type": "sc:Dataset", "conformsTo": CONFORMS_TO, "name": f"{name}-split-seed{seed}",
        "description": (f"The train, valid and test parts of '{name}' ({made}) as recbole-ganrs' benchmark split them "
                        f"at trial seed {seed} (RecBole atomic files, the dataset's own ids), so that other tools "
                        "train and test on exactly these rows."),
        "url": f"file:{name}-split-seed{seed}", "version": "1.0.0",
        "license": "The dataset's terms of use apply to its parts.",
        "isBasedOn": {"@type": "sc:Dataset", "name": name},
        "rai:dataCollection": f"Rows of '{name}' assigned to parts by the benchmark's seeded split (seed {seed}).",
        "rai:personalSensitiveInformation": (privacy_text(meta, membership_audit(origin)) if meta else
                                             "The rows are a real dataset's: its own terms and protections apply."),
        # a file's @id is its name: a record set's is its part (JSON-LD ids are shared by all nodes)
        "distribution": [file_object(path, path.name) for path in files.values()],
        "recordSet": [record_set(path, part, path.name) for part, path in files.items()],
    }


def write_croissant(folder, metadata=None):
    """Write ``folder``'s ``croissant.json`` (after its files and sidecar, atomically): ``metadata``, by default the
    synthetic dataset's (:func:`croissant`); returns its path."""
    path = Path(folder) / CROISSANT
    with replaced_on_success(path) as tmp:
        Path(tmp).write_text(json.dumps(metadata or croissant(folder), indent=1), encoding="utf-8")
    return path
