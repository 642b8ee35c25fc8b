import subprocess
import sys
from pathlib import Path

import pytest

from recbole_ganrs.data import load_ratings, resolve_source
from recbole_ganrs.errors import SourceError


def test_ml_100k_is_the_copy_inside_recbole():
    src = resolve_source("ml-100k")
    assert "recbole" in src.inter_path.parts and src.inter_path.name == "ml-100k.inter"
    assert src.recbole_config() == {"dataset": "ml-100k"}
    ratings = load_ratings("ml-100k")
    assert len(ratings) == 100_000 and ratings["rating"].between(1, 5).all()


def test_folder_and_inter_file_are_sources(tiny_dataset):
    by_folder, by_file = resolve_source(tiny_dataset), resolve_source(tiny_dataset / "tiny.inter")
    assert by_folder == by_file
    assert by_folder.recbole_config() == {"dataset": "tiny", "data_path": str(tiny_dataset.parent)}
    assert len(load_ratings(tiny_dataset)) == 900


def _folder(tmp_path, text, name="bad"):
    folder = tmp_path / name
    folder.mkdir()
    (folder / f"{name}.inter").write_text(text)
    return folder


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "is empty"),
        ("user_id:token\titem_id:token\trating:float\n", "no ratings"),
        ("user_id:token\titem_id:token\n1\t2\n", "missing column"),
        ("user_id:token\titem_id:token\trating:float\n1\t2\tgood\n", "non-numeric rating 'good'"),
        ("user_id\titem\tstars\n1\t2\tx\n", "non-numeric rating 'x' on line 2"),
        ("who\twhat\tstars\n1\t2\t3\n", "no user_id column in its header"),
        ("user_id:token\titem_id:token\trating:token\n1\t2\t3\n", "header has rating:token"),
        ("user_id:token\titem_id:token\trating:float\n1\t2\t3\n1\t3\t-1\n", "rating -1 on line 3 is below 0"),
        ("user_id:token\titem_id:token\trating:float\n" + "".join(f"1\t{i}\t{i / 7}\n" for i in range(25)),
         "25 distinct ratings"),
    ],
)
def test_bad_inter_files_are_refused_with_a_reason(tmp_path, text, message):
    with pytest.raises(SourceError, match=message):
        load_ratings(_folder(tmp_path, text))


def test_missing_path_and_folder_without_inter(tmp_path):
    with pytest.raises(SourceError, match="does not exist"):
        resolve_source(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(SourceError, match="has no empty.inter"):
        resolve_source(tmp_path / "empty")


def test_cli_reports_a_bad_source_in_one_line(tmp_path):
    folder = _folder(tmp_path, "user_id:token\titem_id:token\n1\t2\n")
    proc = subprocess.run(
        [sys.executable, "-m", "recbole_ganrs", "train", "--model", "DeepMF", "--dataset", str(folder)],
        capture_output=True, text=True,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("error:") and len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("text, message", [
    ("1\t2\t3\n1\t3\t4\n1\t2\t5\n2\t2\t1\n2\t3\t1\n2\t3\t2\n",
     r"2 \(user, item\) pair\(s\) rated more than once, e.g. user 1, item 2 on line 2 and line 4; .* --duplicates"),
    ("1\t2\t3\n1\t3\t4\n2\t2\t1\n", "1 user\\(s\\) with a single rating \\(e.g. user 2\\)"),
])
def test_a_source_to_learn_from_is_checked_strictly(tmp_path, text, message):
    folder = _folder(tmp_path, "user_id:token\titem_id:token\trating:float\n" + text)
    load_ratings(folder)  # readable as a dataset...
    with pytest.raises(SourceError, match=message):
        load_ratings(folder, strict=True)  # ...but not a source GANRS or the benchmark learns from


def test_symlink_loop_is_refused(tmp_path):
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    with pytest.raises(SourceError, match="cannot be resolved"):
        resolve_source(tmp_path / "a")


def test_sidecar_source_with_dotdot_is_refused(tmp_path):
    from recbole_ganrs.errors import GanrsError
    from recbole_ganrs.data.sidecar import source_of

    (tmp_path / "ganrs.json").write_text('{"source": "../../etc"}')
    with pytest.raises(GanrsError, match="without '..'"):
        source_of(tmp_path)


def test_a_rating_far_off_the_scale_is_refused_with_its_line(tmp_path):
    from tests.conftest import make_ratings, write_dataset

    frame = make_ratings(n_users=20, n_items=10, per_user=5)
    frame.loc[7, "rating"] = 999.0
    folder = write_dataset(tmp_path, "outlier", frame)
    with pytest.raises(SourceError, match="rating 999 on line 9 is far off the scale 1..5"):
        load_ratings(folder)


RATINGS = [("1", "10", 4.0), ("1", "11", 3.0), ("2", "10", 5.0), ("2", "12", 1.0), ("3", "11", 2.0), ("3", "12", 4.0)]


@pytest.mark.parametrize("name, text", [
    ("bom.inter", "\ufeffuser_id:token\titem_id:token\trating:float\n"
                  + "".join(f"{u}\t{i}\t{r:g}\n" for u, i, r in RATINGS)),
    ("commas.inter", "user_id:token,item_id:token,rating:float\n" + "".join(f"{u},{i},{r:g}\n" for u, i, r in RATINGS)),
    ("ratings.csv", "userId,movieId,rating,timestamp\n" + "".join(f"{u},{i},{r:g},0\n" for u, i, r in RATINGS)),
    ("noheader.csv", "".join(f"{u};{i};{r:g}\n" for u, i, r in RATINGS)),
    ("ratings.tsv", "\ufeffuser\titem\trating\n" + "".join(f"{u}\t{i}\t{r:g}\n" for u, i, r in RATINGS)),
    ("ratings.dat", "".join(f"{u}::{i}::{r:g}::0\n" for u, i, r in RATINGS)),
])
def test_plain_ratings_files_are_read_and_converted_for_recbole(tmp_path, name, text):
    from recbole_ganrs.data import prepare_source

    folder = tmp_path / "src"
    folder.mkdir()
    (folder / name).write_text(text, encoding="utf-8")
    frame = load_ratings(folder / name)
    assert list(map(tuple, frame.itertuples(index=False))) == RATINGS
    with pytest.raises(SourceError, match="RecBole cannot read"):
        resolve_source(folder / name).recbole_config()
    prepared = prepare_source(folder / name, tmp_path / "data", log=lambda _: None)
    src = resolve_source(prepared)
    assert src.not_atomic() is None and src.name == Path(name).stem
    assert list(map(tuple, load_ratings(prepared).itertuples(index=False))) == RATINGS
    assert prepare_source(folder / name, tmp_path / "data", log=lambda _: None) == prepared  # converted once


@pytest.mark.parametrize("policy, expected", [("first", 3.0), ("last", 5.0), ("mean", 4.0)])
def test_duplicates_policy_keeps_one_rating_per_pair(tmp_path, policy, expected):
    from recbole_ganrs.data import prepare_source

    text = "user,item,rating\n" + "".join(f"{u},{i},{r:g}\n" for u, i, r in RATINGS) + "1,11,5\n1,11,5\n"
    (tmp_path / "dup.csv").write_text(text)
    with pytest.raises(SourceError, match=r"1 \(user, item\) pair\(s\) .* on line 3 and line 8"):
        prepare_source(tmp_path / "dup.csv", tmp_path / "data")
    ratings = load_ratings(prepare_source(tmp_path / "dup.csv", tmp_path / "data", policy, log=lambda _: None),
                           strict=True)
    assert len(ratings) == len(RATINGS)
    assert ratings.set_index(["user_id", "item_id"]).loc[("1", "11"), "rating"] == expected


def test_a_clean_atomic_source_is_used_as_it_is(tiny_dataset, tmp_path):
    from recbole_ganrs.data import prepare_source

    assert prepare_source(tiny_dataset, tmp_path / "data") == tiny_dataset
    assert not (tmp_path / "data").exists()


def test_rating_count_filters_drop_users_and_items_until_both_hold(tmp_path):
    import json

    from recbole_ganrs.data import prepare_source
    from recbole_ganrs.data.prepare import source_record

    # user 9 has one rating; item 30 is rated by user 9 and user 1 only: with --min-item-ratings 2, dropping
    # user 9 leaves item 30 with one rating, so it goes too (and user 1 keeps its other ratings)
    lines = ["user,item,rating", "9,30,4"] + [f"{u},{i},{(u + i) % 5 + 1}" for u in range(1, 6) for i in range(1, 5)]
    lines.append("1,30,5")
    (tmp_path / "r.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(SourceError, match=r"1 user\(s\) with a single rating .*--min-user-ratings 2"):
        prepare_source(tmp_path / "r.csv", tmp_path / "data")
    folder = prepare_source(tmp_path / "r.csv", tmp_path / "data", min_user_ratings=2, min_item_ratings=2,
                            log=lambda _: None)
    kept = load_ratings(folder)
    assert "9" not in set(kept["user_id"]) and "30" not in set(kept["item_id"]) and len(kept) == 20
    record = source_record(folder)
    assert record["min_user_ratings"] == 2 and record["ratings"] == 20
    assert any("1 user(s) and 1 item(s) dropped" in c for c in record["changes"])
    other = prepare_source(tmp_path / "r.csv", tmp_path / "data", min_user_ratings=2, log=lambda _: None)
    assert other != folder and json.loads((Path(other) / "source.json").read_text())["min_item_ratings"] == 1


def test_a_plain_files_run_keeps_one_output_folder_before_and_after_its_conversion(tmp_path, monkeypatch):
    """The output folder is fixed from the source as given: the lock and the checks are on the folder the run
    writes, although the run reads a converted copy of the file under another path."""
    import dataclasses

    from recbole_ganrs.benchmark.options import parse_options

    monkeypatch.chdir(tmp_path)
    source = tmp_path / "ratings.csv"
    source.write_text("".join(f"{u},{i},{1 + (u + i) % 5}\n" for u in range(30) for i in range(12)))
    opts = parse_options(["--source", str(source), "--users", "100", "--data-dir", str(tmp_path / "data")])
    converted = dataclasses.replace(opts, source=opts.prepare_source())
    assert Path(converted.source) != source
    assert opts.output_dir == converted.output_dir == Path("results") / "ratings-u100"
