"""Loading every supported shape, and refusing bad input with the file/line/field named."""

import json

import pytest

from rlvr.data.load import iter_rows, load_rows, open_source
from rlvr.data.mapping import apply_mapping
from rlvr.errors import DatasetError

ROWS = [{"question": "What is 2 + 3?", "answer": "5"}, {"question": "What is 7 - 4?", "answer": "3"}]


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_jsonl_json_csv_parquet_give_the_same_rows(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    write_jsonl(tmp_path / "a.jsonl", ROWS)
    (tmp_path / "b.json").write_text(json.dumps(ROWS))
    (tmp_path / "c.json").write_text(json.dumps({"data": ROWS}))
    (tmp_path / "d.csv").write_text("question,answer\nWhat is 2 + 3?,5\nWhat is 7 - 4?,3\n")
    pq.write_table(pa.Table.from_pylist(ROWS), tmp_path / "e.parquet")
    write_jsonl(tmp_path / "f.json", ROWS)  # JSON lines in a .json file
    for name in ("a.jsonl", "b.json", "c.json", "d.csv", "e.parquet", "f.json"):
        assert load_rows(tmp_path / name) == ROWS, name


def test_limit_and_streaming(tmp_path):
    write_jsonl(tmp_path / "a.jsonl", ROWS * 5)
    assert len(load_rows(tmp_path / "a.jsonl", limit=3)) == 3
    assert next(iter_rows(tmp_path / "a.jsonl")) == ROWS[0]


def test_save_to_disk_dataset_dict_needs_a_valid_split(tmp_path):
    import datasets

    dd = datasets.DatasetDict({"train": datasets.Dataset.from_list(ROWS),
                               "test": datasets.Dataset.from_list(ROWS[:1])})
    dd.save_to_disk(str(tmp_path / "dd"))
    assert load_rows(tmp_path / "dd") == ROWS  # train by default
    assert load_rows(tmp_path / "dd", split="test") == ROWS[:1]
    with pytest.raises(DatasetError, match="no split 'dev'; it has train, test"):
        load_rows(tmp_path / "dd", split="dev")


def test_hub_id_not_in_cache_is_a_clear_offline_error():
    with pytest.raises(DatasetError, match="not a dataset in the local Hugging Face cache"):
        open_source("nobody-xyz/no-such-dataset")


@pytest.mark.parametrize("content, message", [
    (b'{"a": 1}\n{"a": 2,}\n', r"line 2: not valid JSON"),
    (b'{"a": 1}\n[1, 2]\n', r"line 2: expected a JSON object, got list"),
    (b'{"a": "ok"}\n{"a": "caf\xe9"}\n', r"line 2: not valid UTF-8"),
    (b'{"answer": "5"}\n{"answer": 5}\n', r"column 'answer' mixes types: string \(first at line 1\), int \(first at line 2\)"),
    (b"\n\n", r"no rows"),
    (b"", r"the file is empty"),
])
def test_bad_jsonl_names_the_line(tmp_path, content, message):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(content)
    with pytest.raises(DatasetError, match=message):
        load_rows(path)


def test_ints_and_floats_mix_and_nulls_are_fine(tmp_path):
    rows = [{"x": 1}, {"x": 2.5}, {"x": None}]
    write_jsonl(tmp_path / "n.jsonl", rows)
    assert load_rows(tmp_path / "n.jsonl") == rows


def test_a_10_mb_row_is_refused(tmp_path):
    path = tmp_path / "big.jsonl"
    path.write_text(json.dumps({"text": "x" * 10_000_000}) + "\n")
    with pytest.raises(DatasetError, match=r"line 1: the row is 9.5 MiB, above the 4 MiB limit"):
        load_rows(path)


def test_missing_file_and_unknown_type(tmp_path):
    with pytest.raises(DatasetError, match="no such file"):
        open_source(tmp_path / "nope.jsonl")
    (tmp_path / "x.txt").write_text("hi")
    with pytest.raises(DatasetError, match="unknown file type '.txt'"):
        open_source(tmp_path / "x.txt")


def test_apply_mapping_renames_and_converts_sharegpt():
    rows = [{"question": "q", "solution": "4", "conversations": [{"from": "human", "value": "hi"},
                                                                {"from": "gpt", "value": "hello"}]}]
    mapped = apply_mapping(rows, {"question": "prompt", "solution": "answer", "conversations": "messages"})
    assert mapped == [{"prompt": "q", "answer": "4", "messages": [{"role": "user", "content": "hi"},
                                                                 {"role": "assistant", "content": "hello"}]}]
    assert rows[0]["question"] == "q"  # the input is not modified


def test_apply_mapping_refuses_unknown_or_clobbering_columns():
    rows = [{"question": "q", "prompt": "p"}]
    with pytest.raises(DatasetError, match="'solution' not in the dataset"):
        apply_mapping(rows, {"solution": "answer"})
    with pytest.raises(DatasetError, match="would overwrite the existing column"):
        apply_mapping(rows, {"question": "prompt"})
