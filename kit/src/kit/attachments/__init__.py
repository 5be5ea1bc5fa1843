"""Attachments: files kept beside records, on local disk or in an S3-compatible store.

Only metadata lives in the service's database (``attachments`` table) and only the id, size and
checksum travel in events; the bytes stay in the store.
"""

from kit.attachments.http import (
    Access,
    Attachment,
    AttachmentOut,
    Attachments,
    Change,
    Owner,
    OwnerKind,
    clean_filename,
    content_disposition,
    router,
)
from kit.attachments.intake import Empty, Intake, Limits, Refused, TooLarge, UnsupportedType
from kit.attachments.metrics import AttachmentMetrics
from kit.attachments.settings import AttachmentSettings
from kit.attachments.store import LocalStore, Store, StoredObject, StoreMissing
from kit.attachments.sweep import OrphanSweep
from kit.attachments.table import attachment_table, create_attachments, drop_attachments

__all__ = [
    "Access",
    "Attachment",
    "AttachmentMetrics",
    "AttachmentOut",
    "AttachmentSettings",
    "Attachments",
    "Change",
    "Empty",
    "Intake",
    "Limits",
    "LocalStore",
    "OrphanSweep",
    "Owner",
    "OwnerKind",
    "Refused",
    "Store",
    "StoreMissing",
    "StoredObject",
    "TooLarge",
    "UnsupportedType",
    "attachment_table",
    "clean_filename",
    "content_disposition",
    "create_attachments",
    "drop_attachments",
    "router",
]
