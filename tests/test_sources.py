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
