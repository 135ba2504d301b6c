"""Where releases live: a directory, or an S3-compatible bucket shared by every replica.

A release is a pair of files side by side: ``<stem>.onnx`` and its card
``<stem>.json``, whose ``name``, ``version`` and ``sha256`` (of the ONNX
file) say what it is. New releases are named ``<name>-<version>``; the
shipped ``models/asl-lstm.onnx`` is a release like any other. Versions are
unique in a store; the newest is the greatest by :func:`version_key`.

A bucket's releases are downloaded into a local cache, one directory per
version, each file written to a temporary name and renamed into place only
once its digest matches the card: a cut or corrupted download never
reaches the cache, and a cached file that no longer matches is fetched again.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..recognition.model import ModelError
from .checks import sha256_hex

S3_SCHEME = "s3://"
_VERSION_PART = re.compile(r"[.\-+_]")


class StoreError(RuntimeError):
    """The store cannot be listed or read (missing directory, bucket unreachable)."""


@dataclass(frozen=True)
class Release:
    """One release as its card describes it; ``model`` and ``card`` are its files' names or keys in the store."""

    name: str
    version: str
    sha256: str | None
    model: str
    card: str

    def describe(self) -> dict[str, Any]:
        """What the admin API lists."""
        return {"name": self.name, "version": self.version, "sha256": self.sha256}


@dataclass
class Listing:
    """A store's releases, oldest first, and the files that could not be read as one (and why)."""

    releases: list[Release]
    problems: list[str] = field(default_factory=list)

    def find(self, version: str) -> Release | None:
        """The release of ``version``, if the store has it."""
        return next((release for release in self.releases if release.version == version), None)

    @property
    def newest(self) -> Release | None:
        """The release with the greatest version."""
        return self.releases[-1] if self.releases else None


class ReleaseStore(Protocol):
    """A place releases are listed and fetched from."""

    description: str

    def list(self) -> Listing:
        """Every release, oldest first."""

    def fetch(self, release: Release) -> Path:
        """A local path of the release's ONNX file with its card beside it (verified later, when loaded)."""


def version_key(version: str) -> tuple[tuple[int, int, str], ...]:
    """Sort key: numeric parts as numbers, others as text after them ("3.10.0" > "3.9.1"; "3.1.0" > "3.1.0-rc1")."""
    parts = [part for part in _VERSION_PART.split(version) if part]
    return (*((1, int(part), "") if part.isdigit() else (0, 0, part) for part in parts), (1, -1, ""))


def _card_fields(text: str) -> tuple[str, str, str | None]:
    card = json.loads(text)
    sha256 = card.get("sha256")
    return str(card["name"]), str(card["version"]), str(sha256).lower() if sha256 is not None else None


def _listing(candidates: Iterable[tuple[str, str, str]]) -> Listing:
    """Releases from ``(model, card, card text)`` triples; unreadable cards and duplicate versions are problems."""
    releases: dict[str, Release] = {}
    problems: list[str] = []
    for model, card, text in candidates:
        try:
            name, version, sha256 = _card_fields(text)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            problems.append(f"{card}: not a model card ({exc})")
            continue
        if version in releases:
            problems.append(f"{card}: version {version} already in {releases[version].card}")
            continue
        releases[version] = Release(name, version, sha256, model, card)
    return Listing(sorted(releases.values(), key=lambda release: version_key(release.version)), problems)


class DirectoryStore:
    """Releases as files in one directory (the default: the repository's ``models/``)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.description = str(directory)

    def list(self) -> Listing:
        """Every ``.onnx`` with a ``.json`` beside it; an ``.onnx`` without one is a problem."""
        if not self.directory.is_dir():
            raise StoreError(f"model store {self.directory} is not a directory")
        candidates, problems = [], []
        for model in sorted(self.directory.glob("*.onnx")):
            card = model.with_suffix(".json")
            if not card.is_file():
                problems.append(f"{model.name}: no card {card.name} beside it")
                continue
            candidates.append((model.name, card.name, card.read_text(encoding="utf-8")))
        listing = _listing(candidates)
        listing.problems[:0] = problems
        return listing

    def fetch(self, release: Release) -> Path:
        """The file where it lies: the load reads and verifies it."""
        return self.directory / release.model


class S3Store:
    """Releases in an S3-compatible bucket under a prefix, downloaded into ``cache`` and verified there."""

    def __init__(self, url: str, cache: Path, endpoint: str | None = None, client: Any = None) -> None:
        """``url``: ``s3://bucket/prefix``; ``endpoint``: an S3-compatible server's URL (None: AWS);
        credentials come from the usual AWS variables or the instance's role."""
        bucket, _, prefix = url[len(S3_SCHEME):].partition("/")
        if not bucket:
            raise StoreError(f"model store {url!r} names no bucket (s3://bucket/prefix)")
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.cache = cache
        self.description = url
        if client is None:
            try:
                import boto3
            except ImportError:
                raise StoreError("MODEL_STORE is an s3:// bucket but boto3 is not installed "
                                 "(pip install -r back/requirements-s3.txt)") from None
            client = boto3.client("s3", endpoint_url=endpoint)
        self._client = client

    def _keys(self) -> list[str]:
        keys: list[str] = []
        token: str | None = None
        while True:
            extra = {"ContinuationToken": token} if token else {}
            page = self._client.list_objects_v2(Bucket=self.bucket, Prefix=self.prefix, **extra)
            keys.extend(item["Key"] for item in page.get("Contents", []))
            if not page.get("IsTruncated"):
                return keys
            token = page["NextContinuationToken"]

    def list(self) -> Listing:
        """Every ``.onnx`` key with a ``.json`` key beside it (directly under the prefix); cards are read."""
        try:
            keys = set(self._keys())
            candidates, problems = [], []
            for model in sorted(key for key in keys if key.endswith(".onnx") and "/" not in key[len(self.prefix):]):
                card = model[: -len(".onnx")] + ".json"
                if card not in keys:
                    problems.append(f"{model}: no card {card} beside it")
                    continue
                body = self._client.get_object(Bucket=self.bucket, Key=card)["Body"].read()
                candidates.append((model, card, body.decode("utf-8", errors="replace")))
        except Exception as exc:  # botocore's errors: unreachable, denied, no such bucket
            raise StoreError(f"model store {self.description} cannot be listed: {exc}") from None
        listing = _listing(candidates)
        listing.problems[:0] = problems
        return listing

    def fetch(self, release: Release) -> Path:
        """The release's files in the cache, downloaded unless a verified copy is there already.

        A download whose digest differs from the card is refused (check ``sha256``) and leaves nothing behind.
        """
        if release.sha256 is None:
            raise ModelError(f"{release.card} has no sha256 of its model file", "sha256")
        directory = self.cache / _safe(release.version)
        model = directory / Path(release.model).name
        card = model.with_suffix(".json")
        if model.is_file() and card.is_file() and sha256_hex(model.read_bytes()) == release.sha256:
            return model
        try:
            card_bytes = self._client.get_object(Bucket=self.bucket, Key=release.card)["Body"].read()
            model_bytes = self._client.get_object(Bucket=self.bucket, Key=release.model)["Body"].read()
        except Exception as exc:
            raise StoreError(f"release {release.version} cannot be downloaded: {exc}") from None
        actual = sha256_hex(model_bytes)
        if actual != release.sha256:
            raise ModelError(f"downloaded {release.model} has sha256 {actual[:16]}…, its card says "
                             f"{release.sha256[:16]}…", "sha256")
        directory.mkdir(parents=True, exist_ok=True)
        atomic_write(card, card_bytes)
        atomic_write(model, model_bytes)
        return model


def _safe(version: str) -> str:
    """A version as one directory name."""
    return re.sub(r"[^A-Za-z0-9._+-]", "_", version).lstrip(".") or "_"


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory and a rename."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def open_store(spec: str, cache: Path, endpoint: str | None = None) -> ReleaseStore:
    """A directory path or an ``s3://bucket/prefix`` URL."""
    if spec.startswith(S3_SCHEME):
        return S3Store(spec, cache, endpoint)
    return DirectoryStore(Path(spec))


def stamp_card(model: Path) -> str:
    """Write the sha256 of ``model`` into the card beside it (atomically, keeping every other field); return it."""
    digest = sha256_hex(model.read_bytes())
    card_path = model.with_suffix(".json")
    card = json.loads(card_path.read_text(encoding="utf-8"))
    card["sha256"] = digest
    atomic_write(card_path, (json.dumps(card, indent=2) + "\n").encode("utf-8"))
    return digest
