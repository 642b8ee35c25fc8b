import numpy as np
import pandas as pd
import pytest

from recbole_ganrs.stats import dataset_row, fidelity, gini


def frame(pairs, ratings):
    return pd.DataFrame({"user_id": [p[0] for p in pairs], "item_id": [p[1] for p in pairs], "rating": ratings})


def test_table_iv_row():
    row = dataset_row("d", frame([("a", "x"), ("a", "y"), ("b", "x")], [1.0, 5.0, 3.0]))
    assert row == {"dataset": "d", "#users": 2, "#items": 2, "#ratings": 3, "scores": "1..5", "sparsity %": 25.0}


def test_gini_of_equal_and_concentrated_counts():
    assert gini([5, 5, 5, 5]) == pytest.approx(0.0)
    assert gini([0, 0, 0, 10]) == pytest.approx(0.75)


def test_fidelity_is_zero_for_a_copy_and_sees_differences():
    a = frame([("a", "x"), ("a", "y"), ("b", "x"), ("c", "z")], [1.0, 2.0, 2.0, 4.0])
    same = fidelity("a", a, a)
    assert same["rating TVD"] == 0 and same["activity KS"] == 0 and same["popularity KS"] == 0
    b = a.assign(rating=[4.0, 4.0, 4.0, 4.0])
    assert fidelity("b", b, a)["rating TVD"] == pytest.approx(0.75)


def test_dcr_sees_copies_and_distance():
    import numpy as np

    from recbole_ganrs.generator.privacy import dcr_report

    real = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])  # nearest other real user: 1.0
    far = dcr_report(real + 0.5, real)  # every synthetic user sits between real ones
    assert far["real NN median"] == 1.0 and far["DCR median"] == pytest.approx(np.sqrt(0.5), abs=1e-4)
    assert far["copies"] == 0
    copied = dcr_report(np.vstack([real[:2], real[:2] + [0.0, 3.0]]), real)  # two copies, two far away
    assert copied["copies"] == 0.5 and copied["share DCR < real 5%"] == 0.5


def test_stats_and_generator_do_not_import_each_other():
    import ast
    from pathlib import Path

    package = Path(__file__).resolve().parent.parent / "recbole_ganrs"
    for here, other in (("stats", "generator"), ("generator", "stats")):
        for path in (package / here).glob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                    [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
                assert not any(n.startswith(f"recbole_ganrs.{other}") for n in names), f"{path} imports {other}"


def test_detection_auc_is_chance_between_halves_of_one_source_and_high_for_the_statistical_generator():
    from recbole_ganrs.generator import StatisticalGenerator
    from recbole_ganrs.stats.detection import detection_auc
    from tests.conftest import make_ratings

    source = make_ratings(n_users=800, n_items=80, per_user=20, seed=3)
    half = source["user_id"].astype(int) < 400  # users are drawn alike: the halves are two samples of one law
    assert abs(detection_auc(source[half], source[~half]) - 0.5) < 0.1
    # the statistical generator draws each rating from the marginals: its users' rating spreads are not a
    # latent model's, and a classifier sees it
    fake = StatisticalGenerator(seed=0, progress=False).fit(source[half]).sample(400, 80, ratings=8000, seed=0)
    assert detection_auc(fake, source[half]) > 0.75


def test_profiles_of_chosen_users_are_those_of_every_user_at_the_chosen_rows():
    from recbole_ganrs.stats.detection import Dithered, profiles
    from tests.conftest import make_ratings

    ratings = make_ratings(n_users=300, n_items=50, per_user=12, seed=5)
    scale = np.arange(1.0, 6.0)
    every = profiles(ratings, scale, np.random.default_rng(7))
    chosen = np.sort(np.random.default_rng(1).choice(300, 40, replace=False))
    some = Dithered(ratings, np.random.default_rng(7)).profiles(scale, chosen)  # the same draws, 40 users' rows
    assert some.shape == (40, every.shape[1]) and np.array_equal(some, every[chosen])
    assert not np.array_equal(some, every[:40])


def test_detection_features_sit_on_no_lattice_that_names_the_dataset():
    """Two independent samples of one long-tailed law (many items rated once or twice; the users' medians on a
    few top items) have the same features' law: each rating's place on its dataset's ratings scale does not
    depend on how many items happened to be rated, nor a user's on the mean count."""
    from recbole_ganrs.stats.detection import detection_auc, mass_position

    def sample(seed, n_users=700, n_items=900):
        rng = np.random.default_rng(seed)
        weight = 1.0 / np.arange(1, n_items + 1) ** 1.3
        counts = np.clip(rng.geometric(0.12, n_users), 2, n_items)
        rows = [pd.DataFrame({"user_id": u, "item_id": rng.choice(n_items, c, replace=False, p=weight / weight.sum()),
                              "rating": rng.integers(1, 6, c).astype(float)}) for u, c in enumerate(counts)]
        return pd.concat(rows, ignore_index=True)

    a, b = sample(0), sample(1)
    assert a["item_id"].nunique() != b["item_id"].nunique()
    assert detection_auc(a, b) < 0.58
    places = mass_position(np.arange(4), np.array([1.0, 1.0, 2.0, 4.0]), None)
    assert places.tolist() == pytest.approx([0.125, 0.125, 0.375, 0.75])  # equal counts share one stretch
    uniform = b.groupby("user_id")["item_id"].transform(  # a third of the users rate any item alike
        lambda items: np.random.default_rng(int(items.index[0])).choice(900, len(items), replace=False))
    tilted = b.assign(item_id=np.where(b["user_id"] % 3 == 0, uniform, b["item_id"]))
    assert detection_auc(tilted, a) > 0.65  # those users far from the popular items: seen


def test_detection_compares_two_datasets_at_one_density():
    """The same law asked for at a third of the ratings per user (and per item) is not detected by the noise of
    its users' (items') means: the denser side is thinned at random to the other's density first."""
    from recbole_ganrs.stats.detection import density_matched, detection_auc
    from recbole_ganrs.stats.items import item_detection_auc
    from tests.conftest import make_ratings

    source = make_ratings(n_users=1200, n_items=300, per_user=60, seed=5)
    half = source["user_id"].astype(int) < 600
    sparse = source[~half].sample(frac=1 / 3, random_state=0)  # the same users' law, a third of the ratings
    assert detection_auc(sparse, source[half]) < 0.58  # 0.48; unmatched 0.98 (measured)
    items = pd.DataFrame({"class": ["A"] * 300}, index=[str(i) for i in range(300)])
    as_str = lambda r: r.assign(item_id=r["item_id"].astype(str))  # noqa: E731
    # items: 0.46; unmatched 0.63 (measured)
    assert item_detection_auc(as_str(sparse), items, as_str(source[half]), items, {"class": "token_seq"}) < 0.6
    a, b = density_matched(source[half], sparse, "user_id", np.random.default_rng(0))
    assert len(b) == len(sparse) and len(a) == pytest.approx(len(source[half]) / 3, rel=0.01)
    fake = source[half].assign(rating=np.where(source[half]["user_id"].astype(int) % 2 == 0, 5.0,
                                                source[half]["rating"]))  # half the users rate everything 5
    assert detection_auc(fake, sparse) > 0.65  # still seen at one density


def test_holdout_dcr_tells_a_copy_of_the_training_users_from_new_users():
    from recbole_ganrs.stats.holdout import holdout_dcr
    from tests.conftest import make_ratings

    source = make_ratings(n_users=600, n_items=80, per_user=20, seed=4)
    train, holdout = source[source["user_id"].astype(int) < 450], source[source["user_id"].astype(int) >= 450]
    copied = holdout_dcr(train, train, holdout)  # a generator that returns its training users
    assert copied["share nearer train"] > 0.6 and copied["synthetic DCR to train"] == 0
    fresh = holdout_dcr(holdout, train, holdout)  # new users of the same law: all nearer the holdout (themselves)
    assert fresh["share nearer train"] == 0 and fresh["DCR protection"] == 1


def test_privacy_holdout_fits_without_the_held_out_users_and_reports_it(tmp_path, capsys):
    from recbole_ganrs.cli import main
    from recbole_ganrs.data import load_ratings
    from tests.conftest import make_ratings, write_dataset

    folder = write_dataset(tmp_path, "src", make_ratings(n_users=80, n_items=40, per_user=15))
    out = tmp_path / "out"
    assert main(["generate", "--source", str(folder), "--generators", "statistical", "--users", "40", "--items", "40",
                 "--ratings", "500", "--privacy-holdout", "0.25", "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "share nearer train" in printed and "src-train75" in printed
    (train,) = (out / "sources").glob("*/src-train75")
    assert load_ratings(train)["user_id"].nunique() == 60 and load_ratings(train / "holdout.inter")["user_id"].nunique() == 20
    assert main(["generate", "--source", str(folder), "--privacy-holdout", "1.5", "--out", str(out), "--quiet"]) == 2
    import shlex

    (dataset,) = out.glob("statistical-*")  # its card remakes it, holdout included
    command = shlex.split((dataset / "README.md").read_text().split("## Remake it")[1].split("```")[1].strip())
    assert "--privacy-holdout" in command
    assert main([*command[1:], "--out", str(tmp_path / "again"), "--quiet"]) == 0
    copy = tmp_path / "again" / dataset.name / f"{dataset.name}.inter"
    assert copy.read_bytes() == (dataset / f"{dataset.name}.inter").read_bytes()


def test_activity_rating_r_has_the_sign_of_the_relation():
    from recbole_ganrs.stats.structure import spread_measures

    rows = [(u, i, 5.0 if u < 10 else 2.0) for u in range(20) for i in range(30 if u < 10 else 5)]
    rows += [(u, 100 + u, 1.0) for u in range(20)]  # every user has two values
    heavy_high = pd.DataFrame(rows, columns=["user_id", "item_id", "rating"])
    assert spread_measures(heavy_high)["activity-rating r"] > 0.9
    assert spread_measures(heavy_high.assign(rating=6 - heavy_high["rating"]))["activity-rating r"] < -0.9


def test_the_mf_measure_fits_whole_users_up_to_its_cap():
    import numpy as np

    from recbole_ganrs.stats.structure import mf_users

    user = np.repeat(np.arange(100), np.arange(1, 101))  # 5,050 ratings; user u has u + 1
    assert mf_users(user, limit=10_000) == slice(None)
    rows = mf_users(user, limit=1000)
    kept = np.unique(user[rows])
    assert len(rows) <= 1000 and (np.bincount(user[rows], minlength=100)[kept] == kept + 1).all()  # whole users
    assert len(rows) > 900 and np.array_equal(rows, mf_users(user, limit=1000))  # near the cap; seeded


def test_the_spread_measures_by_bincount_equal_pandas_groupbys():
    """spread_measures sums by np.bincount (no frame copy, no sort at 100M ratings): the same figures as the
    groupby definitions they replaced."""
    from recbole_ganrs.stats.structure import spread_measures

    draw = np.random.default_rng(3)
    frame = pd.DataFrame({"user_id": draw.integers(0, 300, 6000).astype(str),
                          "item_id": draw.integers(0, 120, 6000).astype(str),
                          "rating": draw.integers(1, 6, 6000).astype(float)})
    per_user = frame.groupby("user_id")["rating"]
    counts, means = per_user.size(), per_user.mean()
    several = counts >= 2
    expected = {"within-user std": per_user.std(ddof=0)[several].mean(), "user-mean std": means.std(ddof=0),
                "item-mean std": frame.groupby("item_id")["rating"].mean().std(ddof=0),
                "activity-rating r": np.corrcoef(np.log(counts[several]), means[several])[0, 1]}
    got = spread_measures(frame)
    for name, value in expected.items():
        assert got[name] == pytest.approx(value, rel=1e-12), name


def test_the_mf_measure_numbers_a_sample_of_users_as_a_dataset_of_its_own():
    """Above its cap the MF fits a sample of whole users with tables of the sample's users only: the same
    figure as those users' ratings given alone."""
    from recbole_ganrs.stats.structure import mf_rmse

    draw = np.random.default_rng(4)
    user, item = draw.integers(0, 400, 4000), draw.integers(0, 50, 4000)
    r = draw.integers(1, 6, 4000).astype(float)
    rows = np.flatnonzero(user >= 300)  # users 300..399 of a 400-user dataset
    alone = mf_rmse(pd.factorize(user[rows])[0], pd.factorize(item[rows])[0], r[rows])
    assert mf_rmse(user[rows], item[rows], r[rows]) == alone


def test_density_of_more_users_times_items_than_an_int32_holds():
    """The codes are int32 (half the memory at 100M ratings); users x items of a Netflix-sized dataset is not:
    its density was once printed as -176%."""
    from recbole_ganrs.stats.structure import structure_row

    n = 50_000  # 50,000 x 50,000 = 2.5e9 > 2^31
    ids = np.arange(n)
    frame = pd.DataFrame({"user_id": ids, "item_id": ids, "rating": (ids % 5 + 1).astype(float)})
    assert structure_row("big", frame)["density %"] == round(100.0 * n / n**2, 3)
