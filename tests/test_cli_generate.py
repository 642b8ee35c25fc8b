"""``python -m recbole_ganrs generate`` and ``stats`` on a tiny source; RecBole trains on the output."""
import json

import pytest

from recbole_ganrs.cli import main
from recbole_ganrs.quick_start import run
from tests.conftest import make_ratings, write_dataset

ARGS = ["--items", "30", "--samples", "3000", "--gan-steps", "200", "--quiet"]


@pytest.fixture
def source(tmp_path):
    return write_dataset(tmp_path, "small", make_ratings(n_users=80, n_items=60, per_user=20, seed=1))


def test_generate_writes_loadable_datasets_and_stats_reports_fidelity(source, tmp_path, capsys):
    out = tmp_path / "atomic"
    assert main(["generate", "--source", str(source), "--users", "20", "40", "--out", str(out), "--plots", *ARGS]) == 0
    (folder,) = out.glob("ganrs-small-u40-i30-s3000-std2.5-seed0-*")  # -<hash of the non-default gan_steps>
    name = folder.name
    assert (folder / f"{name}.inter").read_text().startswith("user_id:token\titem_id:token\trating:float\n")
    meta = json.loads((folder / "ganrs.json").read_text())
    assert meta["request"]["users"] == 40 and 0 <= meta["privacy"]["copies"] <= 1
    assert (folder / "embeddings.png").stat().st_size > 0 and (folder / "ratings.png").stat().st_size > 0
    assert len(list(out.glob("ganrs-small-u20-i30-s3000-std2.5-seed0-*"))) == 1
    assert len(list((out / ".fits").glob("small-*.pt"))) == 1  # one fit served both sizes
    printed = capsys.readouterr().out
    assert f"wrote {folder / name}.inter" in printed and "rating TVD" in printed

    assert main(["stats", str(source), str(folder)]) == 0
    printed = capsys.readouterr().out
    assert "sparsity %" in printed and "activity KS" in printed and "DCR median" in printed and str(source) in printed

    result = run("DeepMF", name, config_dict={"data_path": str(out), "epochs": 1, "state": "WARNING",
                                              "checkpoint_dir": str(tmp_path / "saved")})
    assert result["test_result"]["rmse"] > 0


def test_generate_is_byte_identical_for_the_same_seed(source, tmp_path):
    files = []
    for run_dir in ("a", "b"):
        out = tmp_path / run_dir
        assert main(["generate", "--source", str(source), "--users", "20", "--out", str(out), *ARGS]) == 0
        (folder,) = out.glob("ganrs-small-u20-i30-s3000-std2.5-seed0-*")
        files.append((folder / f"{folder.name}.inter").read_bytes())
    assert files[0] == files[1]


@pytest.mark.parametrize("bad, message", [
    (["--users", "0"], "users must be a positive integer"),
    (["--users", "10", "--samples", "5"], "samples (5) must be at least"),
    (["--users", "10", "--std", "0"], "std must be > 0"),
    (["--users", "10", "--source", "/no/such/folder"], "does not exist"),
])
def test_bad_requests_exit_2_with_one_line(bad, message, tmp_path, capsys):
    assert main(["generate", "--out", str(tmp_path / "o"), "--quiet", *bad]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1
    assert not (tmp_path / "o").exists()


def test_output_path_that_is_a_file_is_refused(tmp_path, capsys):
    target = tmp_path / "file"
    target.write_text("x")
    assert main(["generate", "--out", str(target), "--users", "5", "--quiet"]) == 2
    assert "is a file" in capsys.readouterr().err


def test_settings_that_change_the_data_change_the_name_and_a_current_dataset_is_reused(source, tmp_path, capsys):
    out = tmp_path / "atomic"
    args = ["generate", "--source", str(source), "--users", "20", "--out", str(out), *ARGS]
    assert main(args) == 0
    assert main([*args, "--pairing", "draws"]) == 0
    assert len(list(out.glob("ganrs-small-u20-*"))) == 2  # two settings, two folders
    capsys.readouterr()
    assert main(args) == 0
    assert "reusing" in capsys.readouterr().out


def test_the_dataset_card_names_the_command_that_remakes_the_dataset(source, tmp_path):
    import shlex

    out = tmp_path / "out"
    assert main(["generate", "--source", str(source), "--users", "20", "--out", str(out), "--cold-users", "0.2:3",
                 "--assignment-temperature", "0.5", *ARGS]) == 0
    (folder,) = [p for p in out.iterdir() if p.name.startswith("ganrs-")]
    card = (folder / "README.md").read_text()
    command = card.split("## Remake it")[1].split("```")[1].strip()
    assert "rating TVD" in card and "detection AUC" in card and "MF RMSE" in card and source.name in card
    args = shlex.split(command)
    assert args[:2] == ["recbole-ganrs", "generate"] and "--assignment-temperature" in args
    again = tmp_path / "again"
    assert main([*args[1:], "--out", str(again), "--quiet"]) == 0
    copy = again / folder.name / f"{folder.name}.inter"
    assert copy.read_bytes() == (folder / f"{folder.name}.inter").read_bytes()


def test_the_card_measured_from_memory_equals_the_tables_of_the_file_read_as_strings(source, tmp_path, monkeypatch):
    """``generate`` measures the frame it just wrote, its ids ranked as the file's tokens sort (data.atomic), and
    ``stats`` reads a synthetic file the same lean way: every table (membership attacks included) must come out
    as measuring the file read as strings by load_ratings gives it; and a dataset above the MF cap says so."""
    from recbole_ganrs.config import benchmark_split
    from recbole_ganrs.data import load_ratings, resolve_source
    from recbole_ganrs.datasets import card
    from recbole_ganrs.stats import report, stats_tables

    monkeypatch.setattr(card, "MF_MAX_RATINGS", 50)  # the sentence of a dataset above the MF fit's cap
    out = tmp_path / "out"
    assert main(["generate", "--source", str(source), "--users", "40", "--out", str(out), "--privacy-holdout", "0.4",
                 *ARGS]) == 0
    (folder,) = [p for p in out.iterdir() if p.name.startswith("ganrs-")]
    from_memory = (folder / "README.md").read_text()
    split = benchmark_split()["split"]["RS"]
    for loaded in ({folder: load_ratings(resolve_source(folder))}, None):  # as strings; as `stats` reads it
        report._MEASURED.clear()
        text = card.card_text(folder, stats_tables([card.read_sidecar(folder)["source"], folder], split=split,
                                                   loaded=loaded), report.membership_audit(folder))
        assert text == from_memory
    assert "| closest record (histogram)" in from_memory  # the attacks ran, on the frame from memory
    assert "Its MF RMSE is fitted on a seeded sample of whole users holding at most 50 of its" in from_memory
