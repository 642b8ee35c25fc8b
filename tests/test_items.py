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
    folder = genre_source(tmp_path)
    out = tmp_path / "out"
    assert main(["generate", "--source", str(folder), "--users", "60", "--items", "60", "--ratings", "900",
                 "--out", str(out), "--quiet", *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
    assert not (out / ".fits").exists()
