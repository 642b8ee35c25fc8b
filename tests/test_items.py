"""Synthetic items with attributes: the source's .item file, each synthetic item's fields from a real item near it,
the .item file RecBole loads, and the refusals."""
import json

import numpy as np
import pandas as pd
import pytest

from recbole_ganrs.cli import main
from recbole_ganrs.data import write_atomic
from recbole_ganrs.data.items import item_table, parse_fields
from recbole_ganrs.errors import GanrsError
from recbole_ganrs.generator import GANRS
from tests.conftest import generate_refusal

FAST = {"gan_steps": 400, "embedding_epochs": 6, "progress": False}
GENRES = ("Action", "Comedy", "Drama", "Horror")


def genre_source(root, n_users=150, n_items=80, per_user=20, seed=0, name="gen"):
    """Items of two kinds: 'Action'/'Horror' ones (ids 0..39, released 1980-1994), rated low by users of one
    kind, and 'Comedy'/'Drama' ones (40..79, 1995-2010), rated high by the others; written with a .item file
    (a title, a year token, genres as a token sequence)."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n_users):
        dark = u % 2 == 0
        pool = np.arange(0, 40) if dark else np.arange(40, n_items)
        for i in rng.choice(pool, per_user, replace=False):
            rows.append((str(u), str(i), float(rng.choice([1, 2, 3]) if dark else rng.choice([4, 5]))))
    folder = root / name
    write_atomic(folder / f"{name}.inter", pd.DataFrame(rows, columns=["user_id", "item_id", "rating"]))
    items = pd.DataFrame({
        "item_id": [str(i) for i in range(n_items)],
        "movie_title": [f"Film {i}" for i in range(n_items)],
        "release_year": [str(1980 + i % 15) if i < 40 else str(1995 + i % 16) for i in range(n_items)],
        "class": [("Action Horror" if i % 3 else "Action") if i < 40 else ("Comedy" if i % 2 else "Comedy Drama")
                  for i in range(n_items)]})
    write_atomic(folder / f"{name}.item", items, {"movie_title": "token_seq", "release_year": "token",
                                                  "class": "token_seq"})
    return folder


def test_item_table_reads_the_chosen_fields_in_the_fits_item_order_and_refuses_in_one_line(tmp_path):
    folder = genre_source(tmp_path)
    ratings = pd.read_csv(folder / "gen.inter", sep="\t", dtype=str)
    ratings.columns = ["user_id", "item_id", "rating"]
    table = item_table(folder / "gen.inter", ratings, parse_fields("release_year,class"))
    assert table.kinds == ("token", "token_seq") and table.tokens[0] == ratings["item_id"].iloc[0]
    assert set(table.frame()["class"]) == {"Action", "Action Horror", "Comedy", "Comedy Drama"}
    for fields, message in ((("price",), "no field 'price'"), (("movie_title",), "free text")):
        with pytest.raises(GanrsError, match=message):
            item_table(folder / "gen.inter", ratings, fields)
    with pytest.raises(GanrsError, match="each once"):
        parse_fields("class,class")
    extra = pd.concat([ratings, pd.DataFrame({"user_id": ["0"], "item_id": ["999"], "rating": ["3"]})])
    with pytest.raises(GanrsError, match="1 of the source's 81 items have no row"):
        item_table(folder / "gen.inter", extra, ("class",))
    (folder / "gen.item").unlink()
    with pytest.raises(GanrsError, match="no item file"):
        item_table(folder / "gen.inter", ratings, ("class",))


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    folder = genre_source(tmp_path_factory.mktemp("items"))
    return folder, GANRS(item_attributes="release_year,class", seed=0, **FAST).fit(str(folder))


def test_synthetic_items_carry_real_attribute_sets_that_follow_the_items_ratings(fitted):
    folder, gen = fitted
    sample = gen.sample_request(__import__("recbole_ganrs.generator", fromlist=["SampleRequest"]).SampleRequest(
        users=300, items=160, ratings=6000, seed=1))
    items, ratings = sample.items, sample.ratings
    assert items["item_id"].tolist() == list(range(1, ratings["item_id"].max() + 1))
    assert sample.item_kinds == {"release_year": "token", "class": "token_seq"}
    assert set(items["class"]) <= {"Action", "Action Horror", "Comedy", "Comedy Drama"}  # whole real sets
    source = pd.read_csv(folder / "gen.item", sep="\t")
    share = lambda frame: frame["class"].str.contains("Comedy").mean()  # noqa: E731
    assert abs(share(items) - share(source.rename(columns=lambda c: c.split(":")[0]))) < 0.1
    # an item's genres go with its ratings as in the source, the comedies the better rated (a fit this small
    # keeps the item means' spread weakly: 0.29 here; attributes drawn at random give 0 +- 0.07)
    mean = ratings.groupby("item_id")["rating"].mean()
    comedy = items.set_index("item_id")["class"].str.contains("Comedy").reindex(mean.index)
    assert mean[comedy].mean() - mean[~comedy].mean() > 0.15
    years = pd.to_numeric(items["release_year"])
    assert (years[items["class"].str.contains("Comedy")] >= 1995).mean() > 0.9  # year and genres from one item


def test_generate_writes_an_item_file_recbole_loads_and_the_card_and_sidecar_name_it(fitted, tmp_path, capsys):
    folder, _ = fitted
    out = tmp_path / "out"
    args = ["generate", "--source", str(folder), "--users", "80", "--items", "60", "--ratings", "1500",
            "--item-attributes", "release_year,class", "--gan-steps", "200", "--out", str(out), "--quiet"]
    assert main(args) == 0
    (dataset,) = [p for p in out.iterdir() if p.name.startswith("ganrs-")]
    meta = json.loads((dataset / "ganrs.json").read_text())
    assert meta["item_attributes"] == ["release_year", "class"] and len(meta["item_sha1"]) == 40
    card = (dataset / "README.md").read_text()
    assert "--item-attributes release_year,class" in card and "the `.item` file" in card
    assert "class share TVD" in card and "release_year KS" in card and "item detection AUC" in card
    header = (dataset / f"{dataset.name}.item").read_text().splitlines()[0]
    assert header == "item_id:token\trelease_year:token\tclass:token_seq"
    from recbole.config import Config
    from recbole.data import create_dataset

    config = Config(model="BPR", dataset=dataset.name, config_dict={
        "data_path": str(out), "state": "ERROR", "checkpoint_dir": str(tmp_path / "saved"),
        "load_col": {"inter": ["user_id", "item_id", "rating"], "item": ["item_id", "release_year", "class"]}})
    loaded = create_dataset(config)
    assert "class" in loaded.item_feat and loaded.item_num - 1 == meta["delivered"]["items"]
    ids = np.concatenate([np.asarray(row).ravel() for row in loaded.item_feat["class"]])
    genres = {loaded.field2id_token["class"][g] for g in np.unique(ids) if g}  # 0: RecBole's padding
    assert genres <= {"Action", "Horror", "Comedy", "Drama"} and len(genres) == 4
    plain = tmp_path / "plain"
    without = [a for a in args if a not in ("--item-attributes", "release_year,class")]
    assert main([*without[:-2], str(plain), "--quiet"]) == 0  # the same request without: no .item, another name
    (other,) = [p for p in plain.iterdir() if p.name.startswith("ganrs-")]
    assert not (other / f"{other.name}.item").exists() and other.name != dataset.name


@pytest.mark.parametrize("extra, message", [
    (["--item-attributes", "price"], "no field 'price'"),
    (["--item-attributes", "movie_title"], "free text"),
    (["--item-attributes", "class", "--generators", "cfgan"], "--item-attributes is a ganrs setting"),
])
def test_item_attribute_refusals_are_one_line_before_any_fit(extra, message, tmp_path, capsys):
    assert message in generate_refusal(genre_source(tmp_path), extra, tmp_path / "out", capsys)


def test_a_trial_reports_each_item_group_with_its_users_test_items_ranked_alone(tmp_path):
    from recbole_ganrs.benchmark.trial import run_trial
    from recbole_ganrs.benchmark.trial_key import TrialSpec
    from recbole_ganrs.evaluation.item_groups import item_file, item_groupings

    genre_source(tmp_path)
    groupings = item_groupings(tmp_path / "gen" / "gen.inter", ("release_year", "class"))
    assert [(g.field, g.sets) for g in groupings] == [("release_year", False), ("class", True)]
    assert groupings[0].edges[0] == 1980 and groupings[0].edges[-1] == 2010
    spec = dict(dataset="gen", dataset_config={"dataset": "gen", "data_path": str(tmp_path)}, model="DeepMF",
                seed=0, ties="random", split="random", ns=[2, 5], qs=[4.0], epochs=2,
                item_file=item_file(tmp_path, "gen"), item_groupings=[g.to_plain() for g in groupings])
    frame = pd.DataFrame(run_trial(TrialSpec.of(protocol="paper", **spec))[0])
    at5 = frame[frame["N"] == 5].set_index(["grouping", "subset"])
    everyone = at5.loc[("all", "all")]
    # the odd users rate only comedies (4 or 5: every one relevant), the even ones only action films (1-3)
    comedy, action = at5.loc[("item:class", "Comedy")], at5.loc[("item:class", "Action")]
    assert comedy["test_users"] == comedy["relevant_users"] == everyone["relevant_users"] == 75
    assert comedy["precision"] == 1.0 and action["test_users"] == 75 and action["relevant_users"] == 0
    assert at5.loc[("item:class", "Drama"), "test_users"] <= 75  # the comedy-dramas: a part of the comedies
    bands = sorted(at5.loc["item:release_year"].index)
    assert len(bands) == 4 and bands[0].startswith("1980-")
    early = at5.loc[("item:release_year", bands[0])]
    assert early["relevant_users"] == 0 and early["test_users"] > 0  # the action films are the older ones
    full = pd.DataFrame(run_trial(TrialSpec.of(protocol="full", **spec))[0])
    assert set(full["grouping"]) == {"all", "activity"}  # a full sort ranks every item: no item groups


def test_the_item_group_report_compares_each_groups_level_and_model_order_with_the_source(tmp_path):
    from recbole_ganrs.benchmark.item_group_report import item_group_report

    rows = []
    for dataset, shift in (("src", 0.0), ("syn", 0.05), ("flat", None)):
        for g, genre in enumerate(("Action", "Comedy", "Drama", "Horror")):
            for m, model in enumerate(("A", "B", "C")):
                value = 0.3 if shift is None else 0.1 * g + 0.02 * m + shift  # flat: no genre or model differs
                rows += [{"dataset": dataset, "q": 4.0, "grouping": "item:class", "subset": genre, "model": model,
                          "seed": s, "N": 10, "f1": value, "relevant_users": 40 + g} for s in (0, 1)]
    section = item_group_report(pd.DataFrame(rows), "src", ["syn", "flat"], ["A", "B", "C"], "f1", 10, tmp_path)
    assert section.figures == (tmp_path / "item-groups-f1.png",) and section.figures[0].stat().st_size > 0
    (title, text), (_, by_model) = section.tables
    assert "per item class group, q=4" in title
    lines = {line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:-1]] for line in text.splitlines()[2:]}
    assert lines["Comedy (41)"][:2] == ["0.1200", "0.1700"]
    assert lines["r with the source"] == ["", "1.000", "nan"] == lines["median tau of the models"]
    assert "1.000" in by_model and "nan" in by_model
    ((name, frame),) = section.frames
    assert name == "item_groups.csv" and len(frame) == 3 * 4 * 3 and set(frame["seeds"]) == {2}
    assert item_group_report(pd.DataFrame(rows).assign(grouping="all"), "src", ["syn"], ["A"], "f1", 10).tables == ()


def taste_source(root, n_users=200, n_items=80, per_user=30, seed=0):
    """Two kinds of users and of items ('Action' 0..39, 'Comedy' 40..79): each user rates both kinds, 4-5 its
    own kind and 1-2 the other; written with a .item file of the genres."""
    rng = np.random.default_rng(seed)
    rows = [(str(u), str(i), float(rng.choice([4, 5]) if (i < 40) == (u % 2 == 0) else rng.choice([1, 2])))
            for u in range(n_users) for i in rng.choice(n_items, per_user, replace=False)]
    folder = root / "taste"
    write_atomic(folder / "taste.inter", pd.DataFrame(rows, columns=["user_id", "item_id", "rating"]))
    write_atomic(folder / "taste.item", pd.DataFrame({"item_id": [str(i) for i in range(n_items)],
                                                      "class": ["Action" if i < 40 else "Comedy"
                                                                for i in range(n_items)]}), {"class": "token_seq"})
    return folder


def test_a_context_aware_model_scores_items_it_never_saw_from_their_attributes(tmp_path):
    from recbole_ganrs.benchmark.trial import run_trial
    from recbole_ganrs.benchmark.trial_key import TrialSpec
    from recbole_ganrs.evaluation.item_groups import item_file

    taste_source(tmp_path)
    spec = dict(dataset="taste", dataset_config={"dataset": "taste", "data_path": str(tmp_path)}, seed=0,
                ties="random", split="cold-items:0.3:0", ns=[2, 5], qs=[4.0], epochs=30, protocol="paper",
                recbole={"learning_rate": 0.02, "train_batch_size": 256})

    def ndcg(model, **extra):  # on each user's cold test items ranked alone
        frame = pd.DataFrame(run_trial(TrialSpec.of(model=model, **spec, **extra))[0])
        return frame[(frame["grouping"] == "item:cold-start") & (frame["subset"] == "cold")
                     & (frame["N"] == 2)]["ndcg"].item()

    # the cold items have no training rating: FM knows them by genre and each user's taste for it (measured 1.0);
    # DeepMF's embedding of an unseen item is its initialisation: chance (measured 0.52)
    assert ndcg("FM", item_file=item_file(tmp_path, "taste"), item_fields=["class"]) > 0.9
    assert ndcg("DeepMF") < 0.7
    with pytest.raises(ValueError, match="has no .item file with class"):
        ndcg("FM", item_fields=["class"])


@pytest.mark.parametrize("extra, message", [
    (["--split", "cold-items:0.3:0", "--item-attributes", "class"], "BinaryRegression cannot score an item it never saw"),
    (["--split", "cold-items:0.3:0", "--models", "FM"], "give --item-attributes"),
    (["--split", "cold-items:0.3:0", "--models", "FM", "--item-attributes", "class", "--generators", "ganrs",
      "cfgan"], "the cfgan datasets' items carry no attributes"),
    (["--models", "FM", "--protocol", "full"], "FM is a context-aware model"),
    # the models that read item attributes (tests/test_generative_models.py)
    (["--models", "CVAE"], "CVAE reads item attributes: give --item-attributes"),
    (["--models", "LARA", "--item-attributes", "class", "--generators", "ganrs", "cfgan"],
     "LARA reads item attributes, and the cfgan datasets' items carry no attributes"),
    (["--models", "CFGAN", "--split", "cold-items:0.3:0", "--item-attributes", "class"],
     "CFGAN cannot score an item it never saw"),
])
def test_unscorable_cold_items_and_full_sorts_are_refused_in_one_line(extra, message, tmp_path, capsys):
    folder = taste_source(tmp_path)
    out = tmp_path / "out"
    assert main(["benchmark", "--source", str(folder / "taste.inter"), "--users", "50", "--output", str(out),
                 "--data-dir", str(tmp_path / "data"), "--no-progress", *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and message in err, err
    assert not out.exists() and not (tmp_path / "data").exists()
