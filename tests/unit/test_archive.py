"""The PDF archive keeps documents in a local folder or S3-compatible storage (a real moto server
started here), refuses unsafe keys and forgets only what is older than the retention."""

from __future__ import annotations

import os
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from webapp.config import INSTANCE
from webapp.services.archive import (
    ArchiveMissing,
    ArchiveStorage,
    InvalidArchiveKey,
    LocalArchive,
    S3Archive,
    archive_from_config,
    document_key,
    purge,
)

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
UNSAFE_KEYS = [
    "",
    "../outside.pdf",
    "shops/../../outside.pdf",
    "/etc/passwd",
    "shops//1.pdf",
    "./a.pdf",
    "shops/1/",
    "a\\b.pdf",
    "C:/x.pdf",
    "shops/\x00.pdf",
    "shops/.tmp-abc",
]


# -- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def s3_endpoint():
    """A real S3-compatible HTTP server (moto) on a free loopback port, with fake credentials."""
    with pytest.MonkeyPatch.context() as env:
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
            env.delenv(name, raising=False)
        env.setenv("AWS_ACCESS_KEY_ID", "fake-access-key")
        env.setenv("AWS_SECRET_ACCESS_KEY", "fake-secret-key-never-shown")
        env.setenv("AWS_DEFAULT_REGION", "us-east-1")
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        try:
            yield f"http://{host}:{port}"
        finally:
            server.stop()


@pytest.fixture
def bucket(s3_endpoint):
    name = f"archive-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_endpoint).create_bucket(Bucket=name)
    return name


@pytest.fixture
def s3_client(s3_endpoint):
    return boto3.client("s3", endpoint_url=s3_endpoint)


@pytest.fixture(params=["local", "s3"])
def storage(request, tmp_path) -> ArchiveStorage:
    """Each behaviour test runs against both backends."""
    if request.param == "local":
        return LocalArchive(tmp_path / "archive")
    endpoint = request.getfixturevalue("s3_endpoint")
    bucket = request.getfixturevalue("bucket")
    return S3Archive(bucket, "documents", boto3.client("s3", endpoint_url=endpoint))


# -- behaviour common to both backends ------------------------------------------------------


def test_a_stored_pdf_reads_back_byte_for_byte(storage):
    key = document_key(12, 3456, "FA2026001", date(2026, 11, 3))
    storage.put(key, PDF)
    assert storage.exists(key)
    assert storage.get(key) == PDF


def test_storing_again_under_the_same_key_replaces_the_pdf(storage):
    storage.put("shops/1/2026/11/1-A.pdf", b"old")
    storage.put("shops/1/2026/11/1-A.pdf", PDF)
    assert storage.get("shops/1/2026/11/1-A.pdf") == PDF


def test_reading_a_key_never_stored_raises_archive_missing(storage):
    assert not storage.exists("shops/1/2026/11/404-none.pdf")
    with pytest.raises(ArchiveMissing):
        storage.get("shops/1/2026/11/404-none.pdf")


def test_delete_removes_the_pdf_and_deleting_twice_is_harmless(storage):
    storage.put("shops/1/2026/11/7-X.pdf", PDF)
    storage.delete("shops/1/2026/11/7-X.pdf")
    storage.delete("shops/1/2026/11/7-X.pdf")
    assert not storage.exists("shops/1/2026/11/7-X.pdf")
    with pytest.raises(ArchiveMissing):
        storage.get("shops/1/2026/11/7-X.pdf")


def test_listing_by_age_returns_keys_stored_before_the_cutoff_only(storage):
    storage.put("shops/1/2026/11/1-A.pdf", PDF)
    storage.put("shops/2/2026/11/2-B.pdf", PDF)
    now = datetime.now(timezone.utc)
    assert sorted(storage.keys_older_than(now + timedelta(minutes=5))) == [
        "shops/1/2026/11/1-A.pdf",
        "shops/2/2026/11/2-B.pdf",
    ]
    assert list(storage.keys_older_than(now - timedelta(minutes=5))) == []


def test_purge_deletes_only_what_is_older_than_the_retention(storage):
    storage.put("shops/1/2026/11/1-A.pdf", PDF)
    now = datetime.now(timezone.utc)
    assert purge(storage, older_than_days=30, now=now) == 0
    assert storage.exists("shops/1/2026/11/1-A.pdf")
    assert purge(storage, older_than_days=30, now=now + timedelta(days=31)) == 1
    assert not storage.exists("shops/1/2026/11/1-A.pdf")


def test_purge_treats_a_naive_now_as_utc(storage):
    storage.put("shops/1/2026/11/1-A.pdf", PDF)
    naive_later = datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(days=11)
    assert purge(storage, older_than_days=10, now=naive_later) == 1


def test_purge_refuses_a_retention_under_one_day(storage):
    storage.put("shops/1/2026/11/1-A.pdf", PDF)
    with pytest.raises(ValueError):
        purge(storage, older_than_days=0)
    assert storage.exists("shops/1/2026/11/1-A.pdf")


@pytest.mark.parametrize("key", UNSAFE_KEYS)
def test_unsafe_keys_are_refused_before_any_storage_is_touched(storage, key):
    with pytest.raises(InvalidArchiveKey):
        storage.put(key, PDF)
    with pytest.raises(InvalidArchiveKey):
        storage.get(key)
    with pytest.raises(InvalidArchiveKey):
        storage.delete(key)


def test_both_backends_satisfy_the_storage_protocol(storage):
    assert isinstance(storage, ArchiveStorage)


# -- local folder ---------------------------------------------------------------------------


def test_local_archive_creates_folders_and_stores_the_key_as_a_path(tmp_path):
    archive = LocalArchive(tmp_path / "archive")
    archive.put("shops/12/2026/11/3456-FA2026001.pdf", PDF)
    assert (tmp_path / "archive" / "shops" / "12" / "2026" / "11" / "3456-FA2026001.pdf").read_bytes() == PDF
    assert archive.describe() == f"local folder {tmp_path / 'archive'}"


def test_local_archive_never_leaves_half_a_file_when_a_write_fails(tmp_path, monkeypatch):
    archive = LocalArchive(tmp_path)
    archive.put("shops/1/a.pdf", b"complete old PDF")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        archive.put("shops/1/a.pdf", PDF)
    assert archive.get("shops/1/a.pdf") == b"complete old PDF"
    assert sorted(p.name for p in (tmp_path / "shops" / "1").iterdir()) == ["a.pdf"]


def test_local_listing_uses_the_file_age_and_skips_temporary_files(tmp_path):
    archive = LocalArchive(tmp_path)
    archive.put("shops/1/old.pdf", PDF)
    archive.put("shops/1/new.pdf", PDF)
    (tmp_path / "shops" / "1" / ".tmp-leftover").write_bytes(b"partial")
    year_ago = time.time() - 365 * 86400
    os.utime(tmp_path / "shops" / "1" / "old.pdf", (year_ago, year_ago))
    os.utime(tmp_path / "shops" / "1" / ".tmp-leftover", (year_ago, year_ago))
    cutoff = datetime.now(timezone.utc) - timedelta(days=30)
    assert list(archive.keys_older_than(cutoff)) == ["shops/1/old.pdf"]
    assert purge(archive, older_than_days=30) == 1
    assert archive.exists("shops/1/new.pdf") and not archive.exists("shops/1/old.pdf")


def test_local_delete_tidies_empty_folders_but_keeps_the_root(tmp_path):
    archive = LocalArchive(tmp_path / "archive")
    archive.put("shops/1/2026/11/1-A.pdf", PDF)
    archive.delete("shops/1/2026/11/1-A.pdf")
    assert (tmp_path / "archive").is_dir()
    assert list((tmp_path / "archive").iterdir()) == []


def test_local_listing_of_an_archive_never_written_is_empty(tmp_path):
    assert list(LocalArchive(tmp_path / "nothing-yet").keys_older_than(datetime.now(timezone.utc))) == []


def test_local_archive_refuses_a_key_that_escapes_through_a_symlink(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "archive"
    root.mkdir()
    (root / "shops").symlink_to(outside)
    archive = LocalArchive(root)
    with pytest.raises(InvalidArchiveKey):
        archive.put("shops/evil.pdf", PDF)
    assert list(outside.iterdir()) == []


# -- S3 -------------------------------------------------------------------------------------


def test_s3_objects_live_under_the_prefix_with_their_content_type(s3_client, bucket):
    archive = S3Archive(bucket, "/fynode/archive/", s3_client)
    archive.put("shops/1/2026/11/1-A.pdf", PDF)
    head = s3_client.head_object(Bucket=bucket, Key="fynode/archive/shops/1/2026/11/1-A.pdf")
    assert head["ContentType"] == "application/pdf"
    assert archive.describe() == f"s3://{bucket}/fynode/archive"


def test_s3_archives_with_different_prefixes_do_not_see_each_others_files(s3_client, bucket):
    first = S3Archive(bucket, "a", s3_client)
    neighbour = S3Archive(bucket, "ab", s3_client)  # shares the first letters, not the folder
    first.put("shops/1/x.pdf", b"first")
    neighbour.put("shops/1/x.pdf", b"neighbour")
    later = datetime.now(timezone.utc) + timedelta(minutes=5)
    assert list(first.keys_older_than(later)) == ["shops/1/x.pdf"]
    assert purge(first, older_than_days=1, now=later + timedelta(days=2)) == 1
    assert neighbour.get("shops/1/x.pdf") == b"neighbour"
    assert not first.exists("shops/1/x.pdf")


def test_s3_archive_without_prefix_uses_the_bucket_root(s3_client, bucket):
    archive = S3Archive(bucket, "", s3_client)
    archive.put("shops/1/x.pdf", PDF)
    assert [o["Key"] for o in s3_client.list_objects_v2(Bucket=bucket)["Contents"]] == ["shops/1/x.pdf"]
    assert archive.describe() == f"s3://{bucket}"


def test_s3_listing_pages_through_more_than_one_listing_page(s3_client, bucket):
    archive = S3Archive(bucket, "p", s3_client, page_size=4)
    for n in range(10):
        s3_client.put_object(Bucket=bucket, Key=f"p/shops/1/{n:02d}.pdf", Body=b"x")
    later = datetime.now(timezone.utc) + timedelta(minutes=5)
    assert sorted(archive.keys_older_than(later)) == [f"shops/1/{n:02d}.pdf" for n in range(10)]


# -- configuration --------------------------------------------------------------------------


def test_without_archive_url_the_archive_is_the_instance_folder():
    archive = archive_from_config({"ARCHIVE_URL": ""})
    assert isinstance(archive, LocalArchive)
    assert archive.root == Path(INSTANCE) / "archive"


def test_a_file_url_names_another_local_folder(tmp_path):
    archive = archive_from_config({"ARCHIVE_URL": f"file://{tmp_path}/pdfs"})
    assert isinstance(archive, LocalArchive) and archive.root == tmp_path / "pdfs"


def test_an_s3_url_selects_s3_on_the_configured_endpoint(s3_endpoint, bucket):
    archive = archive_from_config({"ARCHIVE_URL": f"s3://{bucket}/prod/pdfs", "ARCHIVE_S3_ENDPOINT_URL": s3_endpoint})
    assert isinstance(archive, S3Archive)
    archive.put("shops/1/2026/11/1-A.pdf", PDF)
    assert archive.get("shops/1/2026/11/1-A.pdf") == PDF
    description = archive.describe()
    assert description == f"s3://{bucket}/prod/pdfs"
    assert "fake-secret-key-never-shown" not in description and "fake-access-key" not in description


@pytest.mark.parametrize("url", ["ftp://host/x", "s3://", "s3://key:secret@bucket/prefix", "archive"])
def test_an_archive_url_we_cannot_use_is_refused_with_a_clear_message(url):
    with pytest.raises(ValueError, match="ARCHIVE_URL"):
        archive_from_config({"ARCHIVE_URL": url})


def test_config_defaults_keep_pdfs_locally_for_ten_years(monkeypatch):
    from webapp.config import Config

    for name in ("ARCHIVE_URL", "ARCHIVE_S3_ENDPOINT_URL", "ARCHIVE_RETENTION_DAYS"):
        monkeypatch.delenv(name, raising=False)
    config = Config()
    assert (config.ARCHIVE_URL, config.ARCHIVE_S3_ENDPOINT_URL, config.ARCHIVE_RETENTION_DAYS) == ("", "", 3650)


# -- keys -----------------------------------------------------------------------------------


def test_document_key_groups_by_shop_year_and_month():
    assert document_key(12, 3456, "FA2026001", date(2026, 11, 3)) == "shops/12/2026/11/3456-FA2026001.pdf"


@pytest.mark.parametrize(
    "number, expected",
    [
        ("FA 2026/001", "shops/1/2026/01/9-FA-2026-001.pdf"),
        ("Faktúra č. 5", "shops/1/2026/01/9-Faktura-c.-5.pdf"),
        ("../../etc/passwd", "shops/1/2026/01/9-etc-passwd.pdf"),
        ("", "shops/1/2026/01/9-document.pdf"),
        ("///", "shops/1/2026/01/9-document.pdf"),
    ],
)
def test_document_key_sanitises_the_number_into_one_safe_file_name(number, expected, tmp_path):
    key = document_key(1, 9, number, date(2026, 1, 31))
    assert key == expected
    LocalArchive(tmp_path).put(key, PDF)  # and the archive accepts it
