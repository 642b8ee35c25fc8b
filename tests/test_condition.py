"""CGANRS: a GANRS conditioned on a user attribute, group shares, .user files, per-group fidelity, refusals."""
import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2_contingency

from recbole_ganrs.cli import main
from recbole_ganrs.data import write_atomic
from recbole_ganrs.data.users import Condition, parse_shares, resolve_shares
from recbole_ganrs.errors import GanrsError
from recbole_ganrs.generator import GANRS, SampleRequest
from recbole_ganrs.generator.sampling import SamplingChoices
from tests.conftest import generate_refusal

FAST = {"gan_steps": 600, "embedding_epochs": 8, "progress": False}


def two_group_source(root, n_users=120, n_items=60, per_user=20, seed=0, name="grp"):
    """Users of group A (a third) rate items 0..29, mostly 4-5; group B rates items 20..59, mostly 1-3: groups
    that differ in share, items and ratings. Written as an atomic folder with a .user file (gender, age)."""
    rng = np.random.default_rng(seed)
    group = np.where(np.arange(n_users) % 3 == 0, "A", "B")
    rows = []
    for u in range(n_users):
        pool = np.arange(0, 30) if group[u] == "A" else np.arange(20, n_items)
        for i in rng.choice(pool, per_user, replace=False):
            rating = rng.choice([4, 5], p=[0.4, 0.6]) if group[u] == "A" else rng.choice([1, 2, 3], p=[0.3, 0.4, 0.3])
            rows.append((str(u), str(i), float(rating)))
    folder = root / name
    write_atomic(folder / f"{name}.inter", pd.DataFrame(rows, columns=["user_id", "item_id", "rating"]))
    users = pd.DataFrame({"user_id": [str(u) for u in range(n_users)], "gender": group,
                          "age": rng.integers(15, 70, n_users).astype(str)})
    write_atomic(folder / f"{name}.user", users, {"gender": "token", "age": "token"})
    return folder


def test_condition_parses_categorical_and_banded_attributes():
    assert Condition.parse("gender") == Condition("gender")
    age = Condition.parse("age:18,25,35,50")
    assert age.band_labels() == ["<18", "18-24", "25-34", "35-49", "50+"]
    labels = age.labels_of(pd.Series(["17", "18", "24", "25", "60"]), "x")
    assert labels.tolist() == ["<18", "18-24", "18-24", "25-34", "50+"]
    for bad in ("", "rating", "age:30,20", "age:a,b"):
        with pytest.raises(GanrsError):
            Condition.parse(bad)


def test_group_shares_fill_the_rest_at_the_source_proportions_and_refuse_bad_ones():
    source = {"F": 0.2, "M": 0.6, "X": 0.2}
    assert resolve_shares(parse_shares("F:0.5"), source) == pytest.approx({"F": 0.5, "M": 0.375, "X": 0.125})
    assert resolve_shares(None, source) == source
    with pytest.raises(GanrsError, match="not a group"):
        resolve_shares(parse_shares("Q:0.5"), source)
    with pytest.raises(GanrsError, match="sum to"):
        resolve_shares(parse_shares("F:0.5,M:0.3,X:0.1"), source)
    with pytest.raises(GanrsError, match="sum to"):
        resolve_shares(parse_shares("F:0.7,M:0.6"), source)
    for bad in ("F", "F:1.5", "F:0.1,F:0.2", ":0.3"):
        with pytest.raises(GanrsError):
            parse_shares(bad)


def test_conditioned_sample_keeps_each_groups_share_items_and_ratings(tmp_path):
    folder = two_group_source(tmp_path)
    gen = GANRS(condition="gender", seed=0, **FAST).fit(str(folder))
    assert gen.group_names == ["A", "B"] and gen.group_shares()["A"] == pytest.approx(1 / 3)
    sample = gen.sample_request(SampleRequest(users=100, items=60, ratings=2000, seed=1, group_shares=(("A", 0.5),)))
    ratings, measured = sample.ratings, sample.record
    users = ratings.drop_duplicates("user_id")
    assert (users["gender"] == "A").sum() == measured["groups"]["A"]["users"] == 50
    assert not ratings.duplicated(["user_id", "item_id"]).any()
    by = ratings.groupby("gender")["rating"].mean()
    assert by["A"] > 3.8 and by["B"] < 2.5  # the source's 4.6 and 2.0: each group keeps its own ratings
    # each group's items: group and item are strongly associated (the source's groups share 10 of 60 items);
    # measured Cramer's V 0.58-0.80 over four fit seeds, against 0.13-0.18 with the users' groups permuted
    table = pd.crosstab(ratings["gender"], ratings["item_id"])
    assert np.sqrt(chi2_contingency(table)[0] / table.to_numpy().sum()) > 0.4
    again = gen.sample_request(SampleRequest(users=100, items=60, ratings=2000, seed=1, group_shares=(("A", 0.5),))).ratings
    pd.testing.assert_frame_equal(ratings, again)


def test_conditioned_fit_is_saved_and_loaded(tmp_path):
    gen = GANRS(condition="gender", seed=0, gan="wgan", **{**FAST, "gan_steps": 100}).fit(
        str(two_group_source(tmp_path)))
    gen.save(tmp_path / "fit.pt")
    loaded = GANRS.load(tmp_path / "fit.pt", progress=False)
    request = SampleRequest(users=40, items=60, ratings=600, seed=0)
    pd.testing.assert_frame_equal(gen.sample_request(request).ratings, loaded.sample_request(request).ratings)


def test_source_refusals_name_the_problem_before_any_fit(tmp_path):
    folder = two_group_source(tmp_path)
    with pytest.raises(GanrsError, match="no attribute 'income'.*gender, age"):
        GANRS(condition="income", **FAST).fit(str(folder))
    small = two_group_source(tmp_path, n_users=24, name="small")  # group A: 8 users
    with pytest.raises(GanrsError, match=r"A \(8 users\)"):
        GANRS(condition="gender", **FAST).fit(str(small))
    (folder / "grp.user").unlink()
    with pytest.raises(GanrsError, match="no user file"):
        GANRS(condition="gender", **FAST).fit(str(folder))
    with pytest.raises(GanrsError, match="needs --pairing shapes"):
        GANRS(condition="gender").check_request(SampleRequest(
            20, 20, samples=200, sampling=SamplingChoices(pairing="draws", rating_model="distribution")))
    with pytest.raises(GanrsError, match="need a generator conditioned"):
        GANRS(**FAST).fit(str(two_group_source(tmp_path, name="g2"))).sample_request(
            SampleRequest(users=20, items=20, ratings=200, group_shares=(("A", 0.5),)))


def test_generate_writes_a_user_file_recbole_loads_and_per_group_fidelity(tmp_path, capsys):
    folder = two_group_source(tmp_path)
    out = tmp_path / "out"
    args = ["generate", "--source", str(folder), "--users", "60", "--items", "60", "--ratings", "900",
            "--condition", "gender", "--group-shares", "A:0.25", "--gan-steps", "200", "--out", str(out), "--quiet"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "Per-group fidelity" in printed and "A - rest" in printed
    (dataset,) = [p for p in out.iterdir() if p.name.startswith("ganrs-")]
    assert "-gA0.25" in dataset.name
    import json

    meta = json.loads((dataset / "ganrs.json").read_text())
    assert meta["condition"] == "gender" and meta["settings"]["condition"] == "gender"
    assert meta["groups"]["A"]["users"] == 15 and meta["request"]["group_shares"] == [["A", 0.25]]
    from recbole.config import Config
    from recbole.data import create_dataset

    config = Config(model="BPR", dataset=dataset.name, config_dict={
        "data_path": str(out), "load_col": {"inter": ["user_id", "item_id", "rating"], "user": ["user_id", "gender"]},
        "state": "ERROR", "checkpoint_dir": str(tmp_path / "saved")})
    loaded = create_dataset(config)
    genders = loaded.user_feat["gender"]
    tokens = [loaded.field2id_token["gender"][int(g)] for g in np.asarray(genders)]  # RecBole's ids of the tokens
    assert tokens.count("A") == 15 and tokens.count("B") == 45


@pytest.mark.parametrize("extra, message", [
    (["--condition", "income"], "no attribute 'income'"),
    (["--condition", "gender", "--group-shares", "A:0.5,B:0.6"], "sum to"),
    (["--condition", "gender", "--group-shares", "Z:0.5"], "not a group"),
    (["--group-shares", "A:0.5"], "needs --condition"),
    (["--condition", "gender", "--generators", "cfgan"], "condition is a ganrs setting"),
    (["--condition", "gender", "--group-shares", "A:0.001"], "is no user"),
])
def test_generate_refusals_are_one_line_before_any_fit(extra, message, tmp_path, capsys):
    assert message in generate_refusal(two_group_source(tmp_path), extra, tmp_path / "out", capsys)


def test_every_declared_flag_is_a_flag_a_yaml_key_and_owned():
    from recbole_ganrs.benchmark.options import BenchmarkOptions, build_parser
    from recbole_ganrs.options import declared_flags, read_yaml

    parser = build_parser()
    dests = {a.dest for a in parser._actions}
    for f, d in declared_flags():
        assert f.name in dests
    path = pytest.importorskip("pathlib").Path
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        (path(tmp) / "o.yaml").write_text("condition: gender\ngroup_shares: F:0.3\n")
        assert read_yaml(path(tmp) / "o.yaml", BenchmarkOptions) == {"condition": "gender", "group_shares": "F:0.3"}


def test_group_share_scenario_needs_a_condition(tmp_path):
    from recbole_ganrs.benchmark.options import parse_options
    from recbole_ganrs.benchmark.scenario import parse_scenario

    grid = parse_scenario(["group-share", "F:0.1", "F:0.5"])
    assert grid.values == ((("F", 0.1),), (("F", 0.5),))
    with pytest.raises(GanrsError, match="needs --condition"):
        parse_options(["--scenario", "group-share", "F:0.1", "F:0.5", "--output", str(tmp_path / "r"),
                       "--users", "100"])
    opts = parse_options(["--scenario", "group-share", "F:0.1", "F:0.5", "--condition", "gender",
                          "--output", str(tmp_path / "r"), "--users", "100"])
    from recbole_ganrs.datasets.plan import dataset_plan

    assert [p.request.group_shares for p in dataset_plan(opts)] == [(("F", 0.1),), (("F", 0.5),)]


def test_a_plain_csv_source_with_a_users_csv_and_a_dataframe_source(tmp_path, capsys):
    folder = two_group_source(tmp_path)
    ratings = pd.read_csv(folder / "grp.inter", sep="\t")
    ratings.columns = ["user", "item", "rating"]
    ratings.to_csv(tmp_path / "ratings.csv", index=False)
    users = pd.read_csv(folder / "grp.user", sep="\t", dtype=str)
    users.columns = ["user", "gender", "age"]
    users.to_csv(tmp_path / "ratings.users.csv", index=False)
    out = tmp_path / "out"
    assert main(["generate", "--source", str(tmp_path / "ratings.csv"), "--users", "40", "--items", "40",
                 "--ratings", "500", "--condition", "age:30,50", "--gan-steps", "100", "--out", str(out),
                 "--quiet"]) == 0
    (dataset,) = [p for p in out.iterdir() if p.name.startswith("ganrs-")]
    assert set(pd.read_csv(dataset / f"{dataset.name}.user", sep="\t")["age:token"]) <= {"<30", "30-49", "50+"}
    frame = ratings.rename(columns={"user": "user_id", "item": "item_id"}).astype({"user_id": str, "item_id": str})
    gen = GANRS(condition="gender", **{**FAST, "gan_steps": 100}).fit(frame, users=users.set_index("user"))
    assert gen.group_names == ["A", "B"]
    with pytest.raises(GanrsError, match="needs users="):
        GANRS(condition="gender", **FAST).fit(frame)
