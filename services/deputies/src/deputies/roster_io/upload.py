"""Take the roster file out of a multipart/form-data upload (what a browser form and curl -F send)."""

from __future__ import annotations

from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage


class UploadError(ValueError):
    """A multipart body without a file in it."""


@dataclass(frozen=True)
class Upload:
    """The uploaded file: its bytes, declared type and name."""

    content: bytes
    content_type: str
    filename: str


def is_multipart(content_type: str) -> bool:
    """Tell whether a request body is multipart/form-data."""
    return content_type.lower().startswith("multipart/form-data")


def file_part(body: bytes, content_type: str) -> Upload:
    """Return the first file part of a multipart/form-data body (the field named ``file`` first)."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = message_from_bytes(head + body, policy=policy.HTTP)
    if not isinstance(message, EmailMessage) or not message.is_multipart():
        raise UploadError("the multipart body could not be read")
    parts = [p for p in message.iter_parts() if isinstance(p, EmailMessage)]
    named = [p for p in parts if p.get_param("name", header="content-disposition") == "file"]
    with_files = [p for p in parts if p.get_filename()]
    for part in named + with_files:
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes) and payload:
            return Upload(payload, part.get_content_type(), part.get_filename() or "")
    raise UploadError("send the roster as a form field named file (curl -F file=@roster.xlsx)")
