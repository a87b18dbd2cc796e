"""The PDF archive: where the PDF of every created document is kept, outside the database.

Two storage backends behind one small protocol (`ArchiveStorage`):

- `LocalArchive`: a folder, `instance/archive` by default (atomic writes, so a reader never sees
  half a PDF);
- `S3Archive`: S3-compatible object storage through boto3, chosen by `ARCHIVE_URL=s3://bucket/prefix`
  (`ARCHIVE_S3_ENDPOINT_URL` for servers other than AWS; credentials from boto3's normal chain,
  never from our configuration and never logged).

Keys are relative, slash-separated paths such as `shops/12/2026/11/3456-FA2026001.pdf`
(`document_key`); both backends refuse keys that could escape their root. Retention is
storage-level (`purge`): the engine decides what it archives, this module only forgets files older
than the retention period (10 years by default: accounting documents must be kept).
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from collections.abc import Iterator, Mapping
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit

MAX_KEY_LENGTH = 512
_TEMP_PREFIX = ".tmp-"


class ArchiveMissing(LookupError):
    """The archive holds nothing under this key."""


class InvalidArchiveKey(ValueError):
    """A key that is empty, absolute, contains `..` or other unsafe parts."""


@runtime_checkable
class ArchiveStorage(Protocol):
    def put(self, key: str, content: bytes, content_type: str = "application/pdf") -> None: ...

    def get(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...

    def keys_older_than(self, cutoff: datetime) -> Iterator[str]: ...

    def describe(self) -> str: ...


def check_key(key: str) -> str:
    """Return `key` if it is a safe relative path, else raise `InvalidArchiveKey`."""
    if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidArchiveKey("an archive key is a non-empty relative path")
    if key.startswith("/") or "\\" in key or "\x00" in key or re.match(r"^[A-Za-z]:", key):
        raise InvalidArchiveKey(f"an archive key must be relative: {key!r}")
    parts = key.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise InvalidArchiveKey(f"an archive key has no empty, '.' or '..' parts: {key!r}")
    if parts[-1].startswith(_TEMP_PREFIX):
        raise InvalidArchiveKey(f"names starting with {_TEMP_PREFIX!r} are reserved: {key!r}")
    return key


def _utc(moment: datetime) -> datetime:
    """Aware UTC datetime; naive values are UTC already (the models store naive UTC)."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _safe_number(number: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", number).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_text).strip(".-_")
    return cleaned[:80] or "document"


def document_key(shop_id: int, document_id: int, number: str, created: date) -> str:
    """The archive key of a document's PDF: `shops/<shop>/<yyyy>/<mm>/<id>-<number>.pdf`.

    The document id keeps keys unique; the sanitised number (ASCII letters, digits, `.`, `_`, `-`)
    keeps them readable for someone browsing the bucket.
    """
    return f"shops/{int(shop_id)}/{created:%Y}/{created:%m}/{int(document_id)}-{_safe_number(number or '')}.pdf"


class LocalArchive:
    """Archive in a local folder; each key is a file under `root`."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        path = self.root.joinpath(*check_key(key).split("/"))
        # Belt and braces against symlinks inside the archive pointing elsewhere.
        root = self.root.resolve()
        if root not in path.resolve().parents:
            raise InvalidArchiveKey(f"key leaves the archive folder: {key!r}")
        return path

    def put(self, key: str, content: bytes, content_type: str = "application/pdf") -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(prefix=_TEMP_PREFIX, dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temp_name, 0o640)
            os.replace(temp_name, path)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise ArchiveMissing(key) from None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            path.unlink()
        except (FileNotFoundError, NotADirectoryError):
            return
        # Tidy the now empty month/year folders, never the root itself.
        root = self.root.resolve()
        for parent in path.resolve().parents:
            if parent == root or root not in parent.parents:
                break
            try:
                parent.rmdir()
            except OSError:
                break

    def keys_older_than(self, cutoff: datetime) -> Iterator[str]:
        limit = _utc(cutoff).timestamp()
        if not self.root.is_dir():
            return
        for folder, _dirs, files in os.walk(self.root):
            for name in files:
                if name.startswith(_TEMP_PREFIX):
                    continue
                path = Path(folder) / name
                try:
                    modified = path.stat().st_mtime
                except FileNotFoundError:  # deleted meanwhile
                    continue
                if modified < limit:
                    yield path.relative_to(self.root).as_posix()

    def describe(self) -> str:
        return f"local folder {self.root}"


class S3Archive:
    """Archive in an S3-compatible bucket; each key is an object under `prefix/`."""

    def __init__(self, bucket: str, prefix: str, client: Any, page_size: int = 1000) -> None:
        if not bucket:
            raise ValueError("an S3 archive needs a bucket name")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = client
        self.page_size = page_size  # S3 lists at most 1,000 keys a page

    def _object_key(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    @staticmethod
    def _is_missing(error: Exception) -> bool:
        response = getattr(error, "response", None) or {}
        code = str(response.get("Error", {}).get("Code", ""))
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return code in ("NoSuchKey", "404", "NotFound") or status == 404

    def put(self, key: str, content: bytes, content_type: str = "application/pdf") -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._object_key(key), Body=content, ContentType=content_type)

    def get(self, key: str) -> bytes:
        from botocore.exceptions import ClientError

        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._object_key(key))
        except ClientError as error:
            if self._is_missing(error):
                raise ArchiveMissing(key) from None
            raise
        return answer["Body"].read()

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._object_key(key))
        except ClientError as error:
            if self._is_missing(error):
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        # S3 answers 204 for a missing key too, so this is idempotent as it stands.
        self.client.delete_object(Bucket=self.bucket, Key=self._object_key(key))

    def keys_older_than(self, cutoff: datetime) -> Iterator[str]:
        limit = _utc(cutoff)
        listing_prefix = f"{self.prefix}/" if self.prefix else ""
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(
            Bucket=self.bucket, Prefix=listing_prefix, PaginationConfig={"PageSize": self.page_size}
        ):
            for item in page.get("Contents", []):
                if _utc(item["LastModified"]) < limit:
                    yield item["Key"][len(listing_prefix) :]

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"


def default_root() -> Path:
    from ..config import INSTANCE

    return Path(INSTANCE) / "archive"


def archive_from_config(config: Mapping[str, Any]) -> ArchiveStorage:
    """The storage `ARCHIVE_URL` names: unset -> `instance/archive`; `s3://bucket/prefix` -> S3
    (endpoint from `ARCHIVE_S3_ENDPOINT_URL`); `file:///path` -> that local folder."""
    url = (config.get("ARCHIVE_URL") or "").strip()
    if not url:
        return LocalArchive(default_root())
    parts = urlsplit(url)
    if parts.scheme == "s3":
        if not parts.netloc or "@" in parts.netloc:
            raise ValueError(
                "ARCHIVE_URL must look like s3://bucket/prefix (credentials come from "
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, never from the URL)"
            )
        import boto3

        endpoint = (config.get("ARCHIVE_S3_ENDPOINT_URL") or "").strip() or None
        client = boto3.client("s3", endpoint_url=endpoint)
        return S3Archive(parts.netloc, parts.path, client)
    if parts.scheme == "file" and parts.path:
        return LocalArchive(Path(parts.path))
    raise ValueError("ARCHIVE_URL must be empty (local folder), s3://bucket/prefix or file:///path")


def purge(storage: ArchiveStorage, older_than_days: int, now: datetime | None = None) -> int:
    """Delete archived files stored more than `older_than_days` days before `now`; return how many.

    Refuses a retention under one day: a typo must not wipe the archive.
    """
    if older_than_days < 1:
        raise ValueError("the archive retention is at least one day")
    cutoff = _utc(now or datetime.now(timezone.utc)) - timedelta(days=older_than_days)
    # Listed first, deleted after: deleting while a listing pages on is asking for skipped keys.
    expired = list(storage.keys_older_than(cutoff))
    for key in expired:
        storage.delete(key)
    return len(expired)
