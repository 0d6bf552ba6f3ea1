"""The append-only JSONL store: resume, torn lines, fsync batching, SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from cje.io.store import JsonlStore, StoreError

HERE = Path(__file__).parent
REPO = HERE.parent.parent


class FsyncCounter:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, fd: int) -> None:
        self.calls += 1
        os.fsync(fd)


def rows(*ids: str, **extra: object) -> list[dict[str, object]]:
    return [{"id": i, **extra} for i in ids]


def test_rows_survive_reopening_and_the_last_row_for_an_id_wins(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "out.jsonl"
    with JsonlStore(path, key="id") as store:
        store.append(rows("a", "b", value=1))
        store.append(rows("a", value=2))
        assert store.rows["a"] == {"id": "a", "value": 2}
    with JsonlStore(path, key="id") as store:
        assert set(store.ids) == {"a", "b"} and len(store) == 2 and "b" in store
        assert store.rows["a"]["value"] == 2
        assert store.trimmed_bytes == 0
    assert len(path.read_text().splitlines()) == 3  # appended, never rewritten


def test_a_torn_last_line_is_trimmed_on_open(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    path.write_text('{"id": "a"}\n{"id": "b"}\n{"id": "c", "resp')
    counter = FsyncCounter()
    with JsonlStore(path, key="id", fsync=counter) as store:
        assert set(store.ids) == {"a", "b"}
        assert store.trimmed_bytes == len('{"id": "c", "resp')
        assert counter.calls == 1  # the truncation was made durable
        assert path.read_text() == '{"id": "a"}\n{"id": "b"}\n'
        store.append(rows("c"))
    assert path.read_text().splitlines()[-1] == '{"id": "c"}'


def test_a_file_that_is_only_a_torn_line_becomes_empty(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    path.write_bytes('{"id": "é'.encode()[:-1])  # cut inside a multi-byte character
    with JsonlStore(path, key="id") as store:
        assert len(store) == 0
    assert path.read_bytes() == b""


@pytest.mark.parametrize(
    ("content", "problem"),
    [('{"id": "a"}\nnot json\n{"id": "b"}\n', "not JSON"),
     ('{"id": "a"}\n[1]\n{"id": "b"}\n', "not a JSON object"),
     ('{"id": "a"}\n{"other": 1}\n{"id": "b"}\n', "no string 'id'"),
     ('{"id": "a"}\n\x00\x00\x00\x00\n{"id": "b"}\n', "not JSON")],
    ids=["garbage", "array", "no id", "NUL bytes"],
)
def test_a_corrupt_line_inside_is_quarantined_once_and_the_rest_kept(tmp_path: Path, caplog, content: str,
                                                                      problem: str) -> None:
    path = tmp_path / "out.jsonl"
    path.write_bytes(content.encode())
    bad_line = content.encode().split(b"\n")[1]
    with JsonlStore(path, key="id") as store:
        assert set(store.ids) == {"a", "b"} and store.quarantined == (2,)
    side = tmp_path / "out.jsonl.corrupt"
    assert side.read_bytes() == bad_line + b"\n"
    assert path.read_text() == '{"id": "a"}\n{"id": "b"}\n'
    warnings = [r.getMessage() for r in caplog.records if "corrupt" in r.getMessage()]
    assert len(warnings) == 1 and "line 2" in warnings[0] and problem in warnings[0] and str(side) in warnings[0]
    with JsonlStore(path, key="id") as again:  # reported once: the log is clean now
        assert again.quarantined == ()
    assert len([r for r in caplog.records if "corrupt" in r.getMessage()]) == 1


def test_read_rows_reads_without_touching_the_file(tmp_path: Path) -> None:
    from cje.io.store import read_rows

    path = tmp_path / "out.jsonl"
    content = b'{"id": "a"}\nnot json\n{"id": "b", "v": 1}\n{"id": "b", "v": 2}\n{"id": "c", "to'
    path.write_bytes(content)
    contents = read_rows(path, key="id")
    assert contents.rows == {"a": {"id": "a"}, "b": {"id": "b", "v": 2}}
    assert contents.torn_tail and contents.corrupt_lines == (2,)
    assert path.read_bytes() == content and not (tmp_path / "out.jsonl.corrupt").exists()
    assert read_rows(tmp_path / "missing.jsonl", key="id").rows == {}


def test_blank_lines_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    path.write_text('{"id": "a"}\n\n{"id": "b"}\n')
    with JsonlStore(path, key="id") as store:
        assert set(store.ids) == {"a", "b"}


def test_fsync_happens_every_batch_size_rows_and_on_close(tmp_path: Path) -> None:
    counter = FsyncCounter()
    store = JsonlStore(tmp_path / "out.jsonl", key="id", batch_size=3, fsync=counter)
    synced_after = []
    for i in range(7):
        store.append(rows(f"r{i}"))
        synced_after.append(counter.calls)
    assert synced_after == [0, 0, 1, 1, 1, 2, 2]
    store.append(rows("x", "y", "z", "w"))  # one append larger than a batch: one fsync
    assert counter.calls == 3
    store.append(rows("q"))
    store.close()
    assert counter.calls == 4
    store.close()  # idempotent, nothing pending
    assert counter.calls == 4


def test_flush_syncs_only_when_rows_are_pending(tmp_path: Path) -> None:
    counter = FsyncCounter()
    with JsonlStore(tmp_path / "out.jsonl", key="id", batch_size=100, fsync=counter) as store:
        store.flush()
        assert counter.calls == 0
        store.append(rows("a"))
        store.flush()
        assert counter.calls == 1
    assert counter.calls == 1


def test_appended_rows_reach_the_file_before_any_fsync(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    with JsonlStore(path, key="id", batch_size=1000) as store:
        store.append(rows("a", "b"))
        assert path.read_text().count("\n") == 2  # in the OS already: a killed process keeps them


def test_rewrite_replaces_the_file_atomically_and_appends_continue(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    with JsonlStore(path, key="id") as store:
        store.append(rows("a", "b", "a", v=1))
        inode = path.stat().st_ino
        store.rewrite(rows("a", "c", v=2))
        assert path.stat().st_ino != inode  # a new file renamed into place
        assert set(store.ids) == {"a", "c"}
        store.append(rows("d"))
    assert [json.loads(line)["id"] for line in path.read_text().splitlines()] == ["a", "c", "d"]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize(
    "bad",
    [{"value": 1}, {"id": 5}, {"id": ""}, {"id": "a", "x": float("nan")}, {"id": "a", "x": object()}],
    ids=["no id", "int id", "empty id", "nan", "not json"],
)
def test_unstorable_rows_are_refused_and_nothing_is_written(tmp_path: Path, bad: dict[str, object]) -> None:
    path = tmp_path / "out.jsonl"
    with JsonlStore(path, key="id") as store:
        with pytest.raises(StoreError):
            store.append([{"id": "ok"}, bad])
        assert len(store) == 0
    assert path.read_text() == ""


def test_a_closed_store_refuses_appends(tmp_path: Path) -> None:
    store = JsonlStore(tmp_path / "out.jsonl", key="id")
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.append(rows("a"))


def _writer(path: Path, count: int) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, str(HERE / "store_writer.py"), str(path), str(count), "5", "0.001"],
        stdout=subprocess.PIPE, text=True, env=env,
    )


def _acknowledged_then_kill(path: Path, count: int, after: int) -> list[str]:
    proc = _writer(path, count)
    assert proc.stdout is not None
    acknowledged = [proc.stdout.readline().strip() for _ in range(after)]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return acknowledged


def _ids_in(path: Path) -> list[str]:
    data = path.read_bytes()
    assert data.endswith(b"\n")
    return [json.loads(line)["prompt_id"] for line in data.splitlines()]


def test_a_writer_killed_mid_run_loses_nothing_acknowledged_and_resumes_exactly(tmp_path: Path) -> None:
    path = tmp_path / "responses.jsonl"
    count = 400
    for round_, kill_after in enumerate((25, 60, 90)):
        acknowledged = _acknowledged_then_kill(path, count, kill_after)
        if round_ == 1:  # as if the power went mid-write: a torn line on top
            with open(path, "ab") as handle:
                handle.write(b'{"prompt_id": "p03')
        with JsonlStore(path, key="prompt_id") as store:
            assert set(acknowledged) <= set(store.ids)
        ids = _ids_in(path)
        assert len(ids) == len(set(ids))  # no duplicates, no torn line
    proc = _writer(path, count)
    proc.communicate()
    assert proc.returncode == 0
    assert _ids_in(path) == [f"p{i:04d}" for i in range(count)]
