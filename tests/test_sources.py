import subprocess
import sys

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
        ("user_id\titem_id\trating\n1\t2\t3\n", "has no ':type'"),
        ("user_id:token\titem_id:token\trating:token\n1\t2\t3\n", "header has rating:token"),
        ("user_id:token\titem_id:token\trating:float\n1\t2\t3\n1\t3\t-1\n", "rating -1 on data line 2 is below 0"),
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
    ("1\t2\t3\n1\t3\t4\n1\t2\t5\n2\t2\t1\n2\t3\t1\n", r"pair \(user 1, item 2\) is rated more than once \(data lines 1 and 3\)"),
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
    with pytest.raises(SourceError, match="rating 999 on data line 8 is far off the scale 1..5"):
        load_ratings(folder)
