import pandas as pd
import pytest

from recbole_ganrs.data import load_ratings, write_atomic


def test_header_carries_recbole_types_and_rows_round_trip(tmp_path):
    frame = pd.DataFrame({"user_id": ["a", "b"], "item_id": ["x", "y"], "rating": [4.0, 2.5]})
    path = tmp_path / "d" / "d.inter"
    assert write_atomic(path, frame) == 2
    lines = path.read_text().splitlines()
    assert lines[0] == "user_id:token\titem_id:token\trating:float"
    assert lines[1:] == ["a\tx\t4", "b\ty\t2.5"]
    pd.testing.assert_frame_equal(load_ratings(path.parent), frame)


def test_chunks_are_streamed_into_one_file(tmp_path):
    chunks = (pd.DataFrame({"user_id": [str(i)], "item_id": ["1"], "rating": [3.0]}) for i in range(5))
    path = tmp_path / "s" / "s.inter"
    assert write_atomic(path, chunks) == 5
    assert len(path.read_text().splitlines()) == 6


def test_a_failure_midway_leaves_no_partial_file(tmp_path):
    path = tmp_path / "f" / "f.inter"
    path.parent.mkdir()
    path.write_text("old\n")

    def chunks():
        yield pd.DataFrame({"user_id": ["1"], "item_id": ["1"], "rating": [3.0]})
        raise RuntimeError("generator died")

    with pytest.raises(RuntimeError):
        write_atomic(path, chunks())
    assert path.read_text() == "old\n"
    assert list(path.parent.iterdir()) == [path]


def test_column_without_a_type_is_refused(tmp_path):
    with pytest.raises(ValueError, match="no RecBole type"):
        write_atomic(tmp_path / "x.inter", pd.DataFrame({"mystery": [1]}))


def test_as_measured_ranks_ids_as_the_file_tokens_sort_and_parses_ratings_from_their_text(tmp_path):
    import numpy as np

    from recbole_ganrs.data.atomic import as_measured

    frame = pd.DataFrame({"user_id": np.array([10, 2, 10, 1, 9], np.int32),
                          "item_id": np.array([5, 5, 7, 12, 5], np.int32),
                          "rating": np.array([0.1, 3.5, 1.0, 0.1, 2.0], np.float32)})  # float32 0.1 is not 0.1
    write_atomic(tmp_path / "r.inter", frame)
    read, memory = load_ratings(tmp_path / "r.inter"), as_measured(frame)
    assert memory["rating"].tolist() == read["rating"].tolist() == [0.1, 3.5, 1.0, 0.1, 2.0]
    for column in ("user_id", "item_id"):  # the same order as the tokens', which is not the integers'
        tokens = read[column].to_numpy()
        assert (np.argsort(memory[column].to_numpy(), kind="stable") == np.argsort(tokens, kind="stable")).all()
        assert memory[column].nunique() == read[column].nunique()
    assert memory["user_id"].tolist() == [1, 2, 1, 0, 3]  # "1" < "10" < "2" < "9"
