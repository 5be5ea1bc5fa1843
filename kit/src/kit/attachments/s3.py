"""An S3-compatible store (MinIO, AWS S3, Ceph): streamed multipart uploads, aborted on failure."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import ClientError

from kit.attachments.store import CHUNK, StoredObject, StoreMissing

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client
    from types_aiobotocore_s3.type_defs import CompletedPartTypeDef

PART_BYTES = 8 * 1024 * 1024
"""Bytes per multipart part (S3's smallest part is 5 MiB; only the last may be smaller)."""

_MISSING = {"NoSuchKey", "404", "NotFound"}


@dataclass(frozen=True)
class S3Location:
    """Where the bucket is and how to sign in to it."""

    bucket: str
    endpoint_url: str | None = None
    region: str = "us-east-1"
    access_key_id: str | None = None
    secret_access_key: str | None = None
    prefix: str = ""
    create_bucket: bool = False


class S3Store:
    """Objects in one bucket under a prefix; a file above one part goes up as a multipart upload."""

    def __init__(self, location: S3Location, *, part_bytes: int = PART_BYTES) -> None:
        self.location = location
        self.part_bytes = part_bytes
        self._session = get_session()
        self._bucket_ready = not location.create_bucket

    def _client(self) -> AbstractAsyncContextManager[S3Client]:
        loc = self.location
        client: AbstractAsyncContextManager[S3Client] = self._session.create_client(
            "s3",
            endpoint_url=loc.endpoint_url,
            region_name=loc.region,
            aws_access_key_id=loc.access_key_id,
            aws_secret_access_key=loc.secret_access_key,
            config=AioConfig(s3={"addressing_style": "path"}, retries={"mode": "standard"}),
        )
        return client

    def _key(self, key: str) -> str:
        return self.location.prefix + key

    async def _ensure_bucket(self, s3: S3Client) -> None:
        if self._bucket_ready:
            return
        try:
            await s3.head_bucket(Bucket=self.location.bucket)
        except ClientError:
            await s3.create_bucket(Bucket=self.location.bucket)
        self._bucket_ready = True

    async def put(self, key: str, chunks: AsyncIterable[bytes]) -> None:
        """Upload the stream; parts go up as they fill, and a failed upload is aborted."""
        bucket, name = self.location.bucket, self._key(key)
        async with self._client() as s3:
            await self._ensure_bucket(s3)
            buffer = bytearray()
            upload_id: str | None = None
            parts: list[CompletedPartTypeDef] = []
            try:
                async for chunk in chunks:
                    buffer += chunk
                    while len(buffer) >= self.part_bytes:
                        if upload_id is None:
                            started = await s3.create_multipart_upload(Bucket=bucket, Key=name)
                            upload_id = started["UploadId"]
                        body = bytes(buffer[: self.part_bytes])
                        del buffer[: self.part_bytes]
                        parts.append(await self._part(s3, name, upload_id, len(parts) + 1, body))
                if upload_id is None:
                    await s3.put_object(Bucket=bucket, Key=name, Body=bytes(buffer))
                    return
                if buffer:
                    parts.append(
                        await self._part(s3, name, upload_id, len(parts) + 1, bytes(buffer))
                    )
                await s3.complete_multipart_upload(
                    Bucket=bucket, Key=name, UploadId=upload_id, MultipartUpload={"Parts": parts}
                )
            except BaseException:
                if upload_id is not None:
                    await s3.abort_multipart_upload(Bucket=bucket, Key=name, UploadId=upload_id)
                raise

    async def _part(
        self, s3: S3Client, name: str, upload_id: str, number: int, body: bytes
    ) -> CompletedPartTypeDef:
        answer = await s3.upload_part(
            Bucket=self.location.bucket,
            Key=name,
            UploadId=upload_id,
            PartNumber=number,
            Body=body,
        )
        return {"ETag": answer["ETag"], "PartNumber": number}

    async def open(self, key: str) -> AsyncIterator[bytes]:
        """Yield the object's bytes as they arrive."""
        async with self._client() as s3:
            try:
                answer = await s3.get_object(Bucket=self.location.bucket, Key=self._key(key))
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") in _MISSING:
                    raise StoreMissing(key) from None
                raise
            async with answer["Body"] as body:
                async for chunk in body.iter_chunks(CHUNK):
                    yield chunk

    async def delete(self, key: str) -> None:
        """Remove the object."""
        async with self._client() as s3:
            await s3.delete_object(Bucket=self.location.bucket, Key=self._key(key))

    async def keys(self) -> list[str]:
        """Return every key under the prefix."""
        return [o.key for o in await self.objects()]

    async def objects(self) -> list[StoredObject]:
        """Return every object under the prefix with its LastModified, by key."""
        found: list[StoredObject] = []
        cut = len(self.location.prefix)
        async with self._client() as s3:
            pages = s3.get_paginator("list_objects_v2").paginate(
                Bucket=self.location.bucket, Prefix=self.location.prefix
            )
            async for page in pages:
                found += [
                    StoredObject(o["Key"][cut:], o["LastModified"])
                    for o in page.get("Contents", [])
                ]
        return sorted(found, key=lambda o: o.key)

    async def pending_uploads(self) -> int:
        """Return how many multipart uploads are open under the prefix (none after an abort)."""
        async with self._client() as s3:
            answer = await s3.list_multipart_uploads(
                Bucket=self.location.bucket, Prefix=self.location.prefix
            )
            return len(answer.get("Uploads", []))
