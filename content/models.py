"""Every model, imported in one place so that Base.metadata knows them all."""

from content.accounts.models import Agency, ApiKey, IdempotencyRecord
from content.checkpoints.models import (
    Checkpoint,
    CurrentQueue,
    CurrentStatus,
    QueueReport,
    StatusReport,
)
from content.versions import DataVersion
from push.models import Broadcast, Device, DeviceTopic, Follow, OutboxMessage, QueueAlert

__all__ = [
    "DataVersion",
    "Agency",
    "Broadcast",
    "Device",
    "DeviceTopic",
    "Follow",
    "OutboxMessage",
    "QueueAlert",
    "ApiKey",
    "Checkpoint",
    "CurrentQueue",
    "CurrentStatus",
    "IdempotencyRecord",
    "QueueReport",
    "StatusReport",
]
