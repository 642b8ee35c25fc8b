"""croissant.json beside a generated dataset: mlcroissant validates it and reads the records through it."""
import hashlib
import json

import pytest

from recbole_ganrs.cli import main
from tests.test_condition import two_group_source

mlc = pytest.importorskip("mlcroissant")  # in requirements-test.txt: a skipped run here means a broken install

ARGS = ["--items", "30", "--samples", "3000", "--gan-steps", "200", "--quiet"]


def test_croissant_file_validates_and_its_records_are_the_datasets(tmp_path):
    source = two_group_source(tmp_path)  # a .user file (gender, age): the users record set too
    out = tmp_path / "atomic"
    assert main(["generate", "--source", str(source), "--users", "40", "--condition", "gender", "--out", str(out),
                 *ARGS]) == 0
    (folder,) = [p for p in out.iterdir() if p.name.startswith("ganrs-")]
    path = folder / "croissant.json"
    meta = json.loads(path.read_text())
    dataset = mlc.Dataset(jsonld=str(path))  # raises on any validation error
    assert not dataset.metadata.ctx.issues.errors
    inter = folder / f"{folder.name}.inter"
    rows = inter.read_text().count("\n") - 1
    ratings = list(dataset.records("ratings"))
    assert len(ratings) == rows > 0
    assert set(ratings[0]) == {"ratings/user_id", "ratings/item_id", "ratings/rating"}
    users = list(dataset.records("users"))
    assert len(users) == 40 and {u["users/gender"] for u in users} == {b"A", b"B"}  # both groups
    files = {f["name"]: f for f in meta["distribution"]}
    assert files[inter.name]["sha256"] == hashlib.sha256(inter.read_bytes()).hexdigest()
    assert meta["isBasedOn"]["identifier"].startswith("sha1:")
    assert "recbole-ganrs generate" in meta["rai:dataCollection"] and "--condition gender" in meta["rai:dataCollection"]
    assert "No membership-inference attack has been run" in meta["rai:personalSensitiveInformation"]
    assert "copies" in meta["rai:personalSensitiveInformation"]  # the sidecar's DCR figures


def test_a_saved_split_has_a_croissant_file_whose_parts_are_its_files(tmp_path):
    from recbole_ganrs.benchmark.trial import run_trial
    from recbole_ganrs.benchmark.trial_key import TrialSpec
    from tests.conftest import make_ratings, write_dataset

    write_dataset(tmp_path, "tiny", make_ratings(n_users=60, n_items=40, per_user=15))
    run_trial(TrialSpec.of(dataset="tiny", dataset_config={"dataset": "tiny", "data_path": str(tmp_path)},
                           model="DeepMF", seed=3, protocol="paper", ties="random", ns=[2], qs=[4.0], epochs=1,
                           save_split=str(tmp_path / "splits")))
    saved = tmp_path / "splits" / "seed3" / "tiny"
    dataset = mlc.Dataset(jsonld=str(saved / "croissant.json"))
    counts = {part: len(list(dataset.records(part))) for part in ("train", "valid", "test")}
    assert counts == {part: (saved / f"tiny.{part}.inter").read_text().count("\n") - 1 for part in counts}
    assert sum(counts.values()) == 900 and counts["test"] > counts["valid"] > 0
    meta = json.loads((saved / "croissant.json").read_text())
    assert "real dataset" in meta["rai:personalSensitiveInformation"]  # no sidecar: not a synthetic dataset
