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
    assert "no membership-inference attack" in meta["rai:personalSensitiveInformation"]
    assert "copies" in meta["rai:personalSensitiveInformation"]  # the sidecar's DCR figures
