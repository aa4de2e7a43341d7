"""Every model, imported in one place so that Base.metadata knows them all."""

from content.accounts.models import (
    Agency,
    ApiKey,
    AuditEntry,
    AuthToken,
    IdempotencyRecord,
    User,
)
from content.campaigns.models import Campaign, CampaignRevision, CampaignTranslation, Image
from content.checkpoints.models import (
    Checkpoint,
    CurrentQueue,
    CurrentStatus,
    QueueHourly,
    QueueReport,
    StatusReport,
)
from content.customs.models import CustomsRule, ExchangeRate, Substance, SubstanceRule
from content.versions import DataVersion
from push.models import Broadcast, Device, DeviceTopic, Follow, OutboxMessage, QueueAlert

__all__ = [
    "DataVersion",
    "Agency",
    "AuditEntry",
    "AuthToken",
    "Campaign",
    "CampaignRevision",
    "CampaignTranslation",
    "Image",
    "User",
    "Broadcast",
    "Device",
    "DeviceTopic",
    "Follow",
    "OutboxMessage",
    "QueueAlert",
    "QueueHourly",
    "ApiKey",
    "Checkpoint",
    "CurrentQueue",
    "CurrentStatus",
    "CustomsRule",
    "ExchangeRate",
    "Substance",
    "SubstanceRule",
    "IdempotencyRecord",
    "QueueReport",
    "StatusReport",
]
