"""The donation store: donated calibration windows in one SQLite file.

One row per window: the contributor id, the letter, the model version that
read it, when it was stored (``created``, the UTC day in ISO-8601, like
``2026-03-01``; the day only, so that a row cannot be matched with a connection logged
at the same second), its frame count, and the keypoints
``(frames, 21, 3)`` and placements ``(frames, 4)`` as little-endian float32
bytes. Arrays are never pickled: a damaged or hostile file can at worst
fail to decode.

Every call opens its own short-lived connection and closes it before
returning (:meth:`DonationStore.read` when its iterator ends or is
dropped): the server calls the store from a thread pool, several sessions
at once. The file is in WAL mode, so readers never wait for a writer;
writers wait at most ``timeout`` seconds for each other, then fail. Every
failure of the file (full disk, locked, read-only, damaged, a directory that
cannot be created, another schema version) is a :class:`StoreError` with a
message an operator can act on; a bad argument is a ``ValueError``. WAL
needs its ``-shm`` file beside the database, so even reading needs a
writable directory: a copy on a read-only mount must be copied off it first.

The validation and the array encoding at the top are pure; the I/O is
:class:`DonationStore`.
"""

from __future__ import annotations

import re
import sqlite3
import time
import urllib.parse
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from math import prod
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ..recognition.normalization import NUM_LANDMARKS
from ..recognition.trajectory import PLACEMENT_SIZE

CONTRIBUTOR_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
# Letters are model labels, which the server chooses, not the client: kept short and plain all the same.
LETTER = re.compile(r"[A-Za-z0-9_-]{1,32}")
MODEL_VERSION = re.compile(r"[!-~]{1,64}")  # printable ASCII, no spaces
MAX_FRAMES = 64
KEYPOINT_SHAPE = (NUM_LANDMARKS, 3)
PLACEMENT_SHAPE = (PLACEMENT_SIZE,)
STORED_FLOAT = np.dtype("<f4")
SCHEMA_VERSION = 1  # PRAGMA user_version of a store this code reads and writes
LOCKED = frozenset({"SQLITE_BUSY", "SQLITE_LOCKED"})  # another connection is in the way
WAL_RETRY_SECONDS = 0.01  # between tries of the switch to WAL mode that another connection is in the way of

_SCHEMA = (
    f"""CREATE TABLE windows (
        id INTEGER PRIMARY KEY,
        contributor TEXT NOT NULL,
        letter TEXT NOT NULL,
        model_version TEXT NOT NULL,
        created TEXT NOT NULL,
        frames INTEGER NOT NULL CHECK (frames BETWEEN 1 AND {MAX_FRAMES}),
        keypoints BLOB NOT NULL,
        placements BLOB NOT NULL
    )""",
    "CREATE INDEX windows_by_contributor ON windows (contributor)",
    f"PRAGMA user_version = {SCHEMA_VERSION}",
)
_INSERT = (
    "INSERT INTO windows (contributor, letter, model_version, created, frames, keypoints, placements) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_SELECT = "SELECT id, contributor, letter, model_version, created, frames, keypoints, placements FROM windows"
_FETCH = 256  # rows read at a time by read()


class StoreError(RuntimeError):
    """The donation file cannot be used: full, locked, read-only, damaged, out of reach or of another schema."""


@dataclass(frozen=True)
class DonatedWindow:
    """One window a user gave, as the model read it.

    ``keypoints`` ``(T, 21, 3)`` as :func:`signify.recognition.normalization.normalize_hand`
    gives them, ``placements`` ``(T, 4)`` as :func:`signify.recognition.trajectory.hand_placement`
    gives them, both float32 with T from 1 to :data:`MAX_FRAMES`. Checked by
    :func:`check_window` when added.
    """

    letter: str
    keypoints: NDArray[np.float32]
    placements: NDArray[np.float32]


@dataclass(frozen=True)
class Donation:
    """One stored window, read back: who gave it, the window, the model version and when (UTC ISO-8601)."""

    contributor: str
    letter: str
    keypoints: NDArray[np.float32]
    placements: NDArray[np.float32]
    model_version: str
    created: str


def valid_contributor(text: object) -> bool:
    """Whether ``text`` is a contributor id: a str of 8 to 64 characters of ``A-Z a-z 0-9 _ -``."""
    return isinstance(text, str) and CONTRIBUTOR_ID.fullmatch(text) is not None


def check_contributor(text: object) -> str:
    """``text`` if it is a contributor id, else ``ValueError``."""
    if not valid_contributor(text):
        raise ValueError("a contributor id is 8 to 64 characters of A-Z a-z 0-9 _ -")
    assert isinstance(text, str)
    return text


def check_model_version(text: object) -> str:
    """``text`` if it is 1 to 64 printable ASCII characters without spaces, else ``ValueError``."""
    if not isinstance(text, str) or MODEL_VERSION.fullmatch(text) is None:
        raise ValueError("a model version is 1 to 64 printable ASCII characters without spaces")
    return text


def check_window(window: DonatedWindow) -> None:
    """Raise ``ValueError`` unless ``window`` has a plain letter and matching, finite float32 arrays."""
    if not isinstance(window.letter, str) or LETTER.fullmatch(window.letter) is None:
        raise ValueError(f"letter {window.letter!r} is not 1 to 32 characters of A-Z a-z 0-9 _ -")
    _check_frames("keypoints", window.keypoints, KEYPOINT_SHAPE)
    _check_frames("placements", window.placements, PLACEMENT_SHAPE)
    if len(window.keypoints) != len(window.placements):
        raise ValueError(
            f"keypoints have {len(window.keypoints)} frames and placements {len(window.placements)}: one per frame"
        )


def _check_frames(name: str, array: object, per_frame: tuple[int, ...]) -> None:
    expected = f"(T, {', '.join(map(str, per_frame))}) float32 with T from 1 to {MAX_FRAMES}"
    if not isinstance(array, np.ndarray) or array.dtype != np.float32:
        raise ValueError(f"{name} must be a numpy array of {expected}, not {type(array).__name__} "
                         f"of {getattr(array, 'dtype', '?')}")
    if array.shape[1:] != per_frame or array.ndim != len(per_frame) + 1 or not 1 <= len(array) <= MAX_FRAMES:
        raise ValueError(f"{name} has shape {array.shape}; expected {expected}")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} holds NaN or infinite values")


def encode_frames(array: NDArray[np.float32]) -> bytes:
    """An array's values as little-endian float32 bytes, C order."""
    return np.ascontiguousarray(array, dtype=STORED_FLOAT).tobytes()


def decode_frames(blob: bytes, frames: int, per_frame: tuple[int, ...]) -> NDArray[np.float32]:
    """The ``(frames, *per_frame)`` float32 array that :func:`encode_frames` wrote; ``ValueError`` if it cannot be."""
    size = frames * prod(per_frame) * STORED_FLOAT.itemsize
    if not 1 <= frames <= MAX_FRAMES or len(blob) != size:
        raise ValueError(f"{len(blob)} bytes are not {frames} frames of {per_frame} float32")
    return np.frombuffer(blob, dtype=STORED_FLOAT).astype(np.float32).reshape(frames, *per_frame)


def explain(path: Path, error: Exception, timeout: float) -> str:
    """A message an operator can act on, for what opening or using the store at ``path`` raised."""
    where = f"donation store {path}"
    if isinstance(error, OSError):
        return f"{where}: cannot create its directory {path.parent} ({error.strerror or error})"
    reasons = {
        "SQLITE_BUSY": f"is locked by another connection; gave up after {timeout:g} s",
        "SQLITE_LOCKED": f"is locked by another connection; gave up after {timeout:g} s",
        "SQLITE_READONLY": "is read-only: the file and its directory must be writable by the server's user",
        "SQLITE_CANTOPEN": "cannot be opened: the file and its directory must exist and be writable by the "
                           "server's user",
        "SQLITE_PERM": "is not accessible to the server's user",
        "SQLITE_FULL": "cannot grow: the disk is full",
        "SQLITE_IOERR": "failed with a disk I/O error",
        "SQLITE_CORRUPT": "is damaged: move it aside and a new one is started",
        "SQLITE_NOTADB": "is not an SQLite database: move it aside or point DATASET_PATH elsewhere",
    }
    return f"{where} {reasons.get(_base_code(error), 'failed')} ({error})"


def _base_code(error: Exception) -> str:
    """SQLite's name for what ``error`` is, extended codes reduced to their base (SQLITE_BUSY_SNAPSHOT is
    SQLITE_BUSY); empty for anything sqlite3 did not raise."""
    return "_".join(str(getattr(error, "sqlite_errorname", "")).split("_")[:2])


class DonationStore:
    """Donated windows in the SQLite file at ``path``, created with its directory on the first :meth:`add`.

    Constructing one touches nothing: a store that cannot be created fails
    its calls, not the server's start. Safe to share between threads: every
    call has its own connection.
    """

    def __init__(self, path: Path, *, timeout: float = 1.0) -> None:
        self.path = Path(path)
        self.timeout = timeout

    def add(self, contributor: str, model_version: str, windows: Sequence[DonatedWindow]) -> int:
        """Store ``windows`` in one transaction (all or none) and return how many were written.

        Arguments are checked before the file is touched (``ValueError``);
        no windows write nothing and create nothing.
        """
        check_contributor(contributor)
        check_model_version(model_version)
        for window in windows:
            check_window(window)
        if not windows:
            return 0
        # The day only: to the second, a row could be matched with the connection logged at that moment.
        created = datetime.now(UTC).date().isoformat()
        rows = [
            (contributor, w.letter, model_version, created, len(w.keypoints), encode_frames(w.keypoints),
             encode_frames(w.placements))
            for w in windows
        ]
        with self._connection(create=True) as connection:
            assert connection is not None
            _use_wal(connection, self.timeout)
            with _transaction(connection):
                self._check_schema(connection, create=True)
                connection.executemany(_INSERT, rows)
        return len(rows)

    def delete(self, contributor: str) -> int:
        """Remove every window stored under ``contributor``; return how many there were."""
        check_contributor(contributor)
        with self._connection(create=False) as connection:
            if connection is None:
                return 0
            with _transaction(connection):
                if not self._check_schema(connection, create=False):
                    return 0
                return connection.execute("DELETE FROM windows WHERE contributor = ?", (contributor,)).rowcount

    def count(self, contributor: str | None = None) -> int:
        """How many windows are stored, in all or under one contributor."""
        if contributor is not None:
            check_contributor(contributor)
        with self._connection(create=False) as connection:
            if connection is None or not self._check_schema(connection, create=False):
                return 0
            if contributor is None:
                cursor = connection.execute("SELECT count(*) FROM windows")
            else:
                cursor = connection.execute("SELECT count(*) FROM windows WHERE contributor = ?", (contributor,))
            return int(cursor.fetchone()[0])

    def read(self) -> Iterator[Donation]:
        """Every stored window in the order stored, from one snapshot of the file.

        A generator: the file is opened at the first ``next``, and errors
        (:class:`StoreError`) come from there. A row that does not decode is
        a :class:`StoreError` naming it.
        """
        with self._connection(create=False) as connection:
            if connection is None:
                return
            with _transaction(connection, "BEGIN DEFERRED"):
                if not self._check_schema(connection, create=False):
                    return
                cursor = connection.execute(f"{_SELECT} ORDER BY id")
                while batch := cursor.fetchmany(_FETCH):
                    for row in batch:
                        yield self._donation(row)

    def _donation(self, row: tuple[object, ...]) -> Donation:
        number, contributor, letter, model_version, created, frames, keypoints, placements = row
        try:
            if not (isinstance(frames, int) and isinstance(keypoints, bytes) and isinstance(placements, bytes)):
                raise ValueError("a column has the wrong type")
            return Donation(
                contributor=str(contributor),
                letter=str(letter),
                keypoints=decode_frames(keypoints, frames, KEYPOINT_SHAPE),
                placements=decode_frames(placements, frames, PLACEMENT_SHAPE),
                model_version=str(model_version),
                created=str(created),
            )
        except ValueError as exc:
            raise StoreError(f"donation store {self.path}: row {number} is damaged ({exc})") from exc

    def _check_schema(self, connection: sqlite3.Connection, *, create: bool) -> bool:
        """Whether the file holds this schema; with ``create``, give an empty file the schema first.

        Runs inside the caller's transaction, so that two first writers do not both create it.
        """
        version = int(connection.execute("PRAGMA user_version").fetchone()[0])
        if version == SCHEMA_VERSION:
            return True
        if version == 0 and int(connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]) == 0:
            if create:
                for statement in _SCHEMA:
                    connection.execute(statement)
            return create
        if version == 0:
            raise StoreError(f"donation store {self.path} is another program's SQLite database (it has tables but "
                             "no schema version): point DATASET_PATH elsewhere")
        raise StoreError(f"donation store {self.path} has schema version {version}, and this version of Signify "
                         f"reads version {SCHEMA_VERSION} only: move the file aside or point DATASET_PATH elsewhere")

    @contextmanager
    def _connection(self, *, create: bool) -> Iterator[sqlite3.Connection | None]:
        """A fresh connection, closed on the way out; None if the file is missing and ``create`` is false.

        Anything sqlite3 or the file system raises comes out as :class:`StoreError`.
        """
        try:
            missing = not self.path.exists()
            if missing and not create:
                connection = None
            else:
                if create and not self.path.parent.is_dir():  # mkdir checks write permission even on one that exists
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                # mode=rw never creates the file, in case it went away since exists(); rwc may.
                uri = f"file:{urllib.parse.quote(str(self.path.absolute()))}?mode={'rwc' if create else 'rw'}"
                connection = sqlite3.connect(uri, uri=True, timeout=self.timeout, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(explain(self.path, exc, self.timeout)) from exc
        if connection is None:
            yield None
            return
        try:
            yield connection
        except sqlite3.Error as exc:
            raise StoreError(explain(self.path, exc, self.timeout)) from exc
        finally:
            connection.close()


def _use_wal(connection: sqlite3.Connection, timeout: float) -> None:
    """Put the file in WAL mode (persistent: once it is, this only reads the mode), waiting up to ``timeout``.

    SQLite answers a switch to WAL that another connection is in the way of
    with "database is locked" at once, without its busy handler: six
    donors' first writes to a new file at the same moment failed that way in
    about one try in twelve. So the switch is tried again until the timeout,
    as a lock would be waited for.
    """
    deadline = time.monotonic() + timeout
    while connection.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        try:
            connection.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError as exc:
            if _base_code(exc) not in LOCKED or time.monotonic() >= deadline:
                raise
            time.sleep(WAL_RETRY_SECONDS)


@contextmanager
def _transaction(connection: sqlite3.Connection, begin: str = "BEGIN IMMEDIATE") -> Iterator[None]:
    """One transaction on an autocommit connection: committed if the block ends, rolled back if it raises.

    ``BEGIN IMMEDIATE`` takes the write lock up front, so a writer waits (up
    to the busy timeout) at the start rather than failing half-way.
    """
    connection.execute(begin)
    try:
        yield
    except BaseException:
        if connection.in_transaction:
            with suppress(sqlite3.Error):  # the error that got here says more than a failed rollback
                connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
