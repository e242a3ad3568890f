"""The loader's digest memo (``etl.digest_memo``): the SHA-256 stays a file's identity, and the memo
answers only for a file whose stat fingerprint is provably the one that was hashed.

Each test uses its own memo file. ``settled_seconds=0`` lets a file written a moment ago be
remembered (the default, 1 s, deliberately refuses that: see the module's race note), and a memo
entry planted by hand proves when the answer came from the memo rather than from the bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from etl.digest_memo import file_digest, fingerprint

FAKE = "f" * 64


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def plant(memo: Path, path: Path, digest: str) -> None:
    memo.write_text(json.dumps({fingerprint(path): digest}))


def test_settled_file_is_remembered_and_answered_from_the_memo(tmp_path: Path) -> None:
    memo, path = tmp_path / "memo.json", tmp_path / "a.csv"
    path.write_bytes(b"period,value\n2024-01,1\n")
    assert file_digest(path, memo, settled_seconds=0) == sha(path.read_bytes())
    assert json.loads(memo.read_text()) == {fingerprint(path): sha(path.read_bytes())}
    plant(memo, path, FAKE)  # same fingerprint: the memo answers, the bytes are not read
    assert file_digest(path, memo, settled_seconds=0) == FAKE


def test_file_written_just_now_is_not_remembered(tmp_path: Path) -> None:
    # Its last change is within the settling time of the read: a write in the same timestamp tick
    # could follow unseen, so the digest is computed but not kept.
    memo, path = tmp_path / "memo.json", tmp_path / "a.csv"
    path.write_bytes(b"x,y\n1,2\n")
    assert file_digest(path, memo) == sha(b"x,y\n1,2\n")
    assert not memo.exists()


def test_rewritten_in_place_same_size_is_hashed_again(tmp_path: Path) -> None:
    memo, path = tmp_path / "memo.json", tmp_path / "a.csv"
    path.write_bytes(b"x,y\n1,2\n")
    plant(memo, path, FAKE)
    mtime = path.stat().st_mtime_ns
    path.write_bytes(b"x,y\n9,9\n")  # same size; the modification time moves on (set here, not waited for)
    os.utime(path, ns=(mtime, mtime + 1_000_000_000))
    assert file_digest(path, memo, settled_seconds=0) == sha(b"x,y\n9,9\n")


def test_grown_file_is_hashed_again(tmp_path: Path) -> None:
    memo, path = tmp_path / "memo.json", tmp_path / "a.csv"
    path.write_bytes(b"x,y\n1,2\n")
    plant(memo, path, FAKE)
    with path.open("ab") as fh:
        fh.write(b"3,4\n")
    assert file_digest(path, memo, settled_seconds=0) == sha(b"x,y\n1,2\n3,4\n")


def test_replaced_file_with_the_old_times_is_hashed_again(tmp_path: Path) -> None:
    # Another file renamed over the path, same size, its times set back to the old ones (as cp -p
    # or rsync --times would): a new inode and a new ctime, so not the file that was hashed.
    memo, path, other = tmp_path / "memo.json", tmp_path / "a.csv", tmp_path / "b.csv"
    path.write_bytes(b"x,y\n1,2\n")
    plant(memo, path, FAKE)
    st = path.stat()
    other.write_bytes(b"x,y\n5,6\n")
    os.replace(other, path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert file_digest(path, memo, settled_seconds=0) == sha(b"x,y\n5,6\n")


def test_corrupt_memo_is_ignored_and_replaced(tmp_path: Path) -> None:
    memo, path = tmp_path / "memo.json", tmp_path / "a.csv"
    path.write_bytes(b"x,y\n1,2\n")
    memo.write_text("{not json")
    assert file_digest(path, memo, settled_seconds=0) == sha(b"x,y\n1,2\n")
    assert json.loads(memo.read_text()) == {fingerprint(path): sha(b"x,y\n1,2\n")}


def test_memo_turned_off_reads_the_bytes(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    memo, path = tmp_path / "memo.json", tmp_path / "a.csv"
    path.write_bytes(b"x,y\n1,2\n")
    plant(memo, path, FAKE)
    monkeypatch.setenv("DIGEST_MEMO", "off")
    assert file_digest(path) == sha(b"x,y\n1,2\n")
    monkeypatch.setenv("DIGEST_MEMO", str(memo))
    assert file_digest(path) == FAKE


def test_loader_takes_the_digest_from_the_memo(engine, tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """The loader asks the memo (``DIGEST_MEMO``) before reading: with the file's fingerprint mapped to
    another digest, bytes already loaded are no longer "unchanged", so the memo, not the bytes, answered."""
    from etl.loader import load_file
    from tests.conftest import SAMPLE

    memo = tmp_path / "memo.json"
    monkeypatch.setenv("DIGEST_MEMO", str(memo))
    first = load_file(engine, SAMPLE / "areas.csv")
    assert first.outcome == "loaded"
    copy = tmp_path / "areas.csv"
    copy.write_bytes((SAMPLE / "areas.csv").read_bytes())
    assert load_file(engine, copy).outcome == "unchanged"  # same bytes, hashed in full
    plant(memo, copy, sha(b"something else"))  # the memo now claims other content for this fingerprint
    assert load_file(engine, copy).outcome != "unchanged"  # so the loader did take the memo's word
