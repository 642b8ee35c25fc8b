"""No silent wrong results: one test per class of bad input or fault, each ending in one ``error:`` line and
exit status 2 before any work (or, for a broken cache entry, a one-line note and a fresh fit)."""
import errno
import json
import pickle

import pytest

from recbole_ganrs.cli import main
from recbole_ganrs.files import exclusive_use
from recbole_ganrs.generator import make_generator
from tests.conftest import make_ratings, write_dataset

STAT = ["--generator", "statistical", "--users", "20", "--items", "30", "--samples", "2000", "--quiet"]


@pytest.fixture
def source(tmp_path):
    return write_dataset(tmp_path, "small", make_ratings(n_users=40, n_items=30, per_user=10, seed=1))


def one_error_line(capsys, message):
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert message in err, err


@pytest.mark.parametrize("bad, message", [
    (["--users", "1000000000", "--samples", "2000000000"], "GiB available: ask for fewer"),
    (["--users", "10", "--samples", "10000000000000"], "hours on"),
    (["--seed", "-1"], "seed must be an integer in 0..4294967295"),
    (["--seed", str(2**40)], "seed must be an integer in 0..4294967295"),
    (["--gan-steps", "0"], "gan_steps must be in 1.."),
    (["--duplicates", "first", "--source", "/no/such.csv"], "does not exist"),
    (["--rating-model", "mean"], "it needs --pairing draws"),
    (["--no-match-shapes"], "--no-match-shapes is a --pairing draws setting"),
    (["--users", "480189", "--items", "17770", "--ratings", "5000000000"], "GiB available: ask for fewer"),
    (["--users", "50", "--items", "30", "--ratings", "49"], "ratings (49) must be at least the number of users (50)"),
    (["--users", "2", "--items", "2", "--ratings", "1"], "ratings (1) must be at least the number of users (2)"),
])
def test_generate_requests_are_checked_against_the_machine_before_any_work(bad, message, tmp_path, capsys):
    assert main(["generate", "--out", str(tmp_path / "o"), "--quiet", *bad]) == 2
    one_error_line(capsys, message)
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("yaml_text, message", [
    ("epochs: 1.5\n", "option 'epochs' must be int, got 1.5"),
    ("qs: [4, five]\n", "option 'qs' must be a list of float"),
    ("cpus: true\n", "option 'cpus' must be int"),
    ("recbole: {learning_rate: fast}\n", "recbole setting 'learning_rate' must be float"),
    ("recbole: {epochs: 2.5}\n", "recbole setting 'epochs' must be int"),
    ("a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nrecbole: {x: [*b, *b]}\n",
     "YAML aliases (*name) are not allowed"),
    ("epochs: 100000000\n", "epochs must be at most"),
])
def test_every_yaml_option_is_type_checked_before_anything_starts(yaml_text, message, tmp_path, capsys):
    (tmp_path / "c.yaml").write_text(yaml_text)
    assert main(["benchmark", "--config", str(tmp_path / "c.yaml"), "--output", str(tmp_path / "o")]) == 2
    one_error_line(capsys, message)
    assert not (tmp_path / "o").exists()


def test_output_folders_that_cannot_be_made_and_an_unreachable_cluster_are_refused_first(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    assert main(["generate", "--out", str(tmp_path / "file" / "sub"), "--users", "5", "--quiet"]) == 2
    one_error_line(capsys, "is a file")
    assert main(["benchmark", "--output", str(tmp_path / "file" / "out"), "--users"]) == 2
    one_error_line(capsys, "is a file")
    assert main(["benchmark", "--output", str(tmp_path / "o"), "--users", "--address", "127.0.0.1:1"]) == 2
    one_error_line(capsys, "cannot reach a Ray cluster at 127.0.0.1:1")


def test_a_fit_of_another_source_is_refused(source, tmp_path, capsys):
    other = write_dataset(tmp_path, "other", make_ratings(n_users=40, n_items=30, per_user=10, seed=2))
    make_generator("statistical").fit(source).save(tmp_path / "small.pt")
    assert main(["generate", "--fit", str(tmp_path / "small.pt"), "--source", str(other),
                 "--out", str(tmp_path / "o"), *STAT]) == 2
    one_error_line(capsys, f"the fit was learnt from {source}, not from {other}")
    assert main(["generate", "--fit", str(tmp_path / "small.pt"), "--source", str(source),
                 "--out", str(tmp_path / "o"), *STAT]) == 0


def test_a_corrupted_cached_fit_is_named_and_fitted_again(source, tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["generate", "--source", str(source), "--out", str(out), *STAT]) == 0
    (fit,) = (out / ".fits").glob("*.pt")
    fit.write_bytes(pickle.dumps("not a fit")[:5])
    for folder in out.glob("statistical-*"):
        (folder / "ganrs.json").unlink()
    capsys.readouterr()
    assert main(["generate", "--source", str(source), "--out", str(out), *STAT]) == 0
    assert "cached fit unusable, fitting again" in capsys.readouterr().out


def test_an_inter_that_no_longer_matches_its_sidecar_is_refused_by_stats_and_made_again(source, tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["generate", "--source", str(source), "--out", str(out), *STAT]) == 0
    (folder,) = out.glob("statistical-*")
    with open(folder / f"{folder.name}.inter", "a") as f:
        f.write("999\t1\t5\n")
    capsys.readouterr()
    assert main(["stats", str(folder)]) == 2
    one_error_line(capsys, "is not the file its ganrs.json describes")
    assert main(["generate", "--source", str(source), "--out", str(out), *STAT]) == 0
    assert "reusing" not in capsys.readouterr().out
    assert main(["stats", str(folder)]) == 0
    assert json.loads((folder / "ganrs.json").read_text())["rows"] == len(
        (folder / f"{folder.name}.inter").read_text().splitlines()) - 1


def test_two_runs_sharing_an_output_folder_are_refused(tmp_path, capsys):
    with exclusive_use(tmp_path / "o"):
        assert main(["benchmark", "--output", str(tmp_path / "o"), "--users", "--quiet"]) == 2
    one_error_line(capsys, "is in use by another run")


@pytest.mark.parametrize("code, message", [(errno.ENOSPC, "disk full writing"), (errno.EACCES, "permission denied")])
def test_a_full_disk_or_a_refused_write_says_so(code, message, source, tmp_path, capsys, monkeypatch):
    def fail(path, *args, **kwargs):
        raise OSError(code, "refused", str(path))

    monkeypatch.setattr("recbole_ganrs.generator.dataset.write_atomic", fail)
    assert main(["generate", "--source", str(source), "--out", str(tmp_path / "o"), *STAT]) == 2
    one_error_line(capsys, message)


def test_a_csv_source_with_repeated_pairs_names_the_option(tmp_path, capsys):
    frame = make_ratings(n_users=40, n_items=30, per_user=10, seed=1)
    text = "user,item,rating\n" + "".join(f"{u},{i},{r:g}\n" for u, i, r in frame.itertuples(index=False))
    (tmp_path / "r.csv").write_text(text + f"{frame.user_id[0]},{frame.item_id[0]},1\n")
    assert main(["generate", "--source", str(tmp_path / "r.csv"), "--out", str(tmp_path / "o"), *STAT]) == 2
    one_error_line(capsys, f"on line 2 and line {len(frame) + 2}; choose one rating per pair with --duplicates")
    assert main(["generate", "--source", str(tmp_path / "r.csv"), "--duplicates", "last",
                 "--out", str(tmp_path / "o"), *STAT]) == 0
    assert "converted" in capsys.readouterr().out


@pytest.mark.parametrize("content", [b"\x00\x01\x02\xff\xfe binary", b"", b"a,b\n1,2\n"])
def test_a_results_file_that_is_not_one_is_named(content, tmp_path, capsys):
    from recbole_ganrs.benchmark.store import ResultStore
    from recbole_ganrs.errors import GanrsError

    (tmp_path / "results.csv").write_bytes(content)
    with pytest.raises(GanrsError, match="results.csv"):
        ResultStore(tmp_path).results()


def test_stats_trusts_a_sidecar_only_when_its_source_and_rows_match(source, tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["generate", "--source", str(source), "--out", str(out), *STAT]) == 0
    (folder,) = out.glob("statistical-*")
    sidecar = folder / "ganrs.json"
    meta = json.loads(sidecar.read_text())
    other = write_dataset(tmp_path, "other", make_ratings(n_users=40, n_items=30, per_user=10, seed=7))
    sidecar.write_text(json.dumps({**meta, "source": str(other)}))  # an absolute path to another source
    capsys.readouterr()
    assert main(["stats", str(folder)]) == 2
    one_error_line(capsys, "is not the content it was made from")
    sidecar.write_text(json.dumps({**meta, "rows": meta["rows"] + 5}))
    assert main(["stats", str(folder)]) == 2
    one_error_line(capsys, f"records {meta['rows'] + 5} ratings but")
    sidecar.write_text("[1, 2]")
    assert main(["stats", str(folder)]) == 2
    one_error_line(capsys, "holds a JSON list, not the object a dataset sidecar is")


def test_a_cold_share_with_an_infinite_k_is_one_line(tmp_path, capsys):
    assert main(["generate", "--out", str(tmp_path / "o"), "--cold-users", "0.3:inf", *STAT]) == 2
    one_error_line(capsys, "cold start must be F:K")


def test_a_recbole_key_typo_warns_in_one_line(tmp_path, monkeypatch):
    import warnings

    from recbole_ganrs.cli import quiet_warnings

    (tmp_path / "c.yaml").write_text("recbole: {learnin_rate: 0.01}\nusers: [0]\n")
    with pytest.warns(UserWarning, match="recbole setting 'learnin_rate' is not a setting of RecBole"):
        main(["benchmark", "--config", str(tmp_path / "c.yaml"), "--output", str(tmp_path / "o")])
    monkeypatch.setattr(warnings, "formatwarning", warnings.formatwarning)
    monkeypatch.setattr(warnings, "filters", list(warnings.filters))
    quiet_warnings()  # what the CLI shows: one line, no source line quoted
    assert warnings.formatwarning("unknown option 'x' ignored", UserWarning, "options.py", 175) == \
        "warning: unknown option 'x' ignored\n"


def test_a_killed_writers_temporary_file_is_cleaned_by_the_next_write(tmp_path):
    from recbole_ganrs.files import replaced_on_success

    stale = tmp_path / ".data.csv.999999999.tmp"  # no such process
    stale.write_text("half")
    with replaced_on_success(tmp_path / "data.csv") as tmp:
        tmp.write_text("whole")
    assert not stale.exists() and (tmp_path / "data.csv").read_text() == "whole"


@pytest.mark.parametrize("command, message", [
    (["generate", "--out", "/proc/ganrs-x", "--users", "5", "--quiet"], "cannot be made in '/proc'"),
    (["generate", "--data-dir", "/proc/ganrs-x", "--users", "5", "--quiet"], "cannot be made in '/proc'"),
    (["benchmark", "--output", "/proc/ganrs-x", "--users"], "cannot be made in '/proc'"),
    (["generate", "--users", "1", "--quiet"], "users must be at least 2"),
    (["generate", "--generator", "statistical", "--address", "127.0.0.1:1", "--quiet"],
     "--address generates the ganrs shapes pairing's blocks of users on a Ray cluster"),
    (["generate", "--generator", "cfgan", "--activity", "uniform", "--quiet"],
     "the cfgan generator cannot follow --activity / --popularity shapes"),
    (["benchmark", "--scenario", "ratings", "0", "100"], "bad value '0' (a rating count must be at least 1)"),
    (["benchmark", "--scenario", "cold-users", "0", "0.3:5", "--cold-users", "0.2:3"],
     "--scenario cold-users sets cold_users itself: drop --cold-users"),
    (["benchmark", "--scenario", "ratings", "1000", "2000", "--samples", "5000"],
     "--scenario ratings sets ratings itself: drop --samples"),
    (["benchmark", "--split", "cold-users:1.5:5"], "--split must be random, cold-users:F:K, cold-items:F:K"),
])
def test_requests_decided_by_the_input_alone_are_refused_before_any_fit(command, message, tmp_path, capsys,
                                                                          monkeypatch):
    from recbole_ganrs.generator.base import SyntheticGenerator

    monkeypatch.setattr(SyntheticGenerator, "fit", lambda *a, **k: pytest.fail("fitted before refusing"))
    if command[0] == "generate" and not {"--out", "--data-dir"} & set(command):
        command = [*command, "--out", str(tmp_path / "o")]
    if command[0] == "benchmark" and "--output" not in command:
        command = [*command, "--output", str(tmp_path / "o")]
    assert main(command) == 2
    one_error_line(capsys, message)


def test_a_utf16_source_names_its_encoding(tmp_path, capsys):
    path = tmp_path / "ratings.csv"
    path.write_text("user_id,item_id,rating\n1,2,3\n1,3,4\n", encoding="utf-16")
    assert main(["stats", str(path)]) == 2
    one_error_line(capsys, "is UTF-16 (little-endian): save it as UTF-8")


def test_an_address_where_something_else_answers_is_refused_in_seconds(tmp_path, capsys):
    import socket
    import threading

    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def answer():
        for _ in range(3):
            try:
                conn, _ = server.accept()
            except OSError:
                return
            conn.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n")
            conn.close()

    threading.Thread(target=answer, daemon=True).start()
    try:
        assert main(["benchmark", "--output", str(tmp_path / "o"), "--users", "--address", f"127.0.0.1:{port}"]) == 2
    finally:
        server.close()
    one_error_line(capsys, f"something answers at 127.0.0.1:{port}, but not a Ray cluster")


def test_a_cold_start_cut_below_the_ratings_asked_is_said_and_recorded(source, tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["generate", "--source", str(source), "--out", str(out), "--generator", "statistical", "--users", "20",
                 "--items", "30", "--ratings", "200", "--cold-users", "0.5:2", "--quiet"]) == 0
    printed = capsys.readouterr().out
    (folder,) = out.glob("statistical-*")
    delivered = json.loads((folder / "ganrs.json").read_text())["delivered"]
    assert delivered["ratings"] < 200
    assert f"it holds {delivered['ratings']:,} ratings, not the 200 asked (the cold-start cut" in printed


def test_a_relative_saved_split_is_resolved_by_the_driver(tmp_path, monkeypatch):
    """Trials run in Ray workers, in folders of their own: a relative files: path is made absolute once, here."""
    from recbole_ganrs.benchmark.options import parse_options

    (tmp_path / "res" / "splits" / "seed0").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    opts = parse_options(["--split", "files:res/splits", "--seeds", "0"])
    assert opts.split == f"files:{(tmp_path / 'res' / 'splits').resolve()}"


def test_a_saved_split_without_the_seed_asked_is_refused(tmp_path, capsys):
    (tmp_path / "splits" / "seed0").mkdir(parents=True)
    assert main(["benchmark", "--split", f"files:{tmp_path / 'splits'}", "--seeds", "0", "1",
                 "--output", str(tmp_path / "o")]) == 2
    one_error_line(capsys, "no saved split for trial seed(s) 1 (it holds seed0)")
    assert not (tmp_path / "o").exists()


def test_datasets_that_would_share_a_name_are_refused(tmp_path, capsys):
    """--std values equal to the 6 digits a name keeps; two sources both called ratings.csv in one data folder."""
    csv = make_ratings(n_users=40, n_items=30, per_user=10, seed=1)
    assert main(["generate", "--source", str(write_dataset(tmp_path, "small", csv)), *STAT[:-1],
                 "--std", "2.1234561", "2.1234569", "--out", str(tmp_path / "o"), "--quiet"]) == 2
    one_error_line(capsys, "would both be named")
    for folder, seed in (("a", 1), ("b", 2)):
        (tmp_path / folder).mkdir()
        make_ratings(n_users=40, n_items=30, per_user=10, seed=seed).to_csv(tmp_path / folder / "ratings.csv",
                                                                             index=False)
    assert main(["generate", "--source", str(tmp_path / "a" / "ratings.csv"), *STAT, "--out", str(tmp_path / "d")]) == 0
    capsys.readouterr()
    assert main(["generate", "--source", str(tmp_path / "b" / "ratings.csv"), *STAT, "--out", str(tmp_path / "d")]) == 2
    one_error_line(capsys, f"made from {tmp_path / 'a' / 'ratings.csv'}")


def test_a_cold_split_that_leaves_no_test_rating_is_refused(source, tmp_path, capsys):
    assert main(["benchmark", "--source", str(source), "--split", "cold-users:0.5:100000", "--output",
                 str(tmp_path / "o"), "--data-dir", str(tmp_path / "d"), "--no-progress"]) == 2
    one_error_line(capsys, "no user of the source has more than 100000 ratings (the most is 10)")


def test_a_header_only_csv_is_called_empty(tmp_path, capsys):
    (tmp_path / "ratings.csv").write_text("user,item,rating\n")
    assert main(["generate", "--source", str(tmp_path / "ratings.csv"), *STAT, "--out", str(tmp_path / "o")]) == 2
    one_error_line(capsys, "no ratings after its header line: the file is empty")
