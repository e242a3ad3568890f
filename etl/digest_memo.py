"""A file's SHA-256 without reading it again when it provably has not changed since it was last hashed.

Why: the SHA-256 of a file's bytes is its identity in the load ledger (``etl.holding``), and hashing
costs ~1 s per GB here, so an unchanged national police.uk year (2.25 GB) took 2-3 s to be told
"nothing changed". The hash stays the identity; this memo only avoids recomputing it.

The memo maps a file's *stat fingerprint* to the digest computed from its bytes:
(real path, device, inode, size, mtime_ns, ctime_ns). Any write to the file, in place or by replacing
it, changes the size, the mtime or the ctime; and the ctime cannot be set back from user space
(``touch -d`` and ``os.utime`` set only atime and mtime, and set the ctime to *now*). A file replaced
by another under the same path has a new ctime even if the inode number is reused.

Two races are closed, as git does for its index ("racily clean" entries):
- the file changes while it is hashed: the fingerprint is taken before and after reading, and the
  digest is remembered only when both are equal;
- the file changes again within the same timestamp tick after it was hashed (a write then leaves
  mtime and ctime as they were): the digest is remembered only when the file's last change
  (the later of mtime and ctime) is at least ``SETTLED_SECONDS`` older than the moment reading began,
  far above any file system's timestamp granularity. A file written moments before it is loaded is
  therefore hashed in full again next time too; after that, its later re-loads hit the memo.

Where: one small JSON file (``DIGEST_MEMO``, default ``~/.cache/vvu-etl/digests.json``, mode 0600; ``off``
disables it), local to the machine because stat fingerprints are. It is a cache only: lost, corrupt
or concurrently overwritten, the digest is computed from the bytes again. It must not be shared
between machines or users (someone able to write it could make a changed file look unchanged, which
anyone able to write the user's home directory could do by other means anyway).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

from etl.safety import sha256_of

SETTLED_SECONDS = 1.0
MAX_ENTRIES = 256  # most recent files kept; older ones are hashed again if ever loaded again


def memo_path() -> Path | None:
    """Where the memo lives (``DIGEST_MEMO``), or None when turned off."""
    from settings import load_settings

    raw = load_settings().digest_memo
    if raw.lower() in ("off", "0", "none", "false"):
        return None
    return Path(raw) if raw else Path.home() / ".cache" / "vvu-etl" / "digests.json"


def fingerprint(path: Path) -> str:
    """The stat facts that change whenever the file's bytes may have changed."""
    st = path.stat()
    return f"{path.resolve()}|{st.st_dev}|{st.st_ino}|{st.st_size}|{st.st_mtime_ns}|{st.st_ctime_ns}"


def _read(memo: Path) -> dict[str, str]:
    try:
        data = json.loads(memo.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)} if isinstance(data, dict) \
        else {}


def _write(memo: Path, entries: dict[str, str]) -> None:
    """Atomically (a new file renamed over the old), so a reader never sees half a memo."""
    try:
        memo.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=memo.parent, prefix=".digests-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(dict(list(entries.items())[-MAX_ENTRIES:]), fh)
        os.replace(tmp, memo)
    except OSError:  # a read-only home or a full disk: the memo is only a cache
        return


def file_digest(path: Path, memo: Path | None = None, settled_seconds: float = SETTLED_SECONDS) -> str:
    """The SHA-256 of the file's bytes: from the memo when its fingerprint is unchanged, else computed."""
    memo = memo if memo is not None else memo_path()
    if memo is None:
        return sha256_of(path)
    before = fingerprint(path)
    entries = _read(memo)
    if before in entries:
        return entries[before]
    started = time.time()
    digest = sha256_of(path)
    st = path.stat()
    last_change = max(st.st_mtime_ns, st.st_ctime_ns) / 1e9
    if fingerprint(path) == before and last_change <= started - settled_seconds:
        entries.pop(before, None)
        entries[before] = digest  # newest last, so the oldest are the ones dropped
        _write(memo, entries)
    return digest
