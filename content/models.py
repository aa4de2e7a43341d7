"""Every content model, imported in one place so that Base.metadata knows them all
(push/ registers its own: `import push.models`)."""

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
    CrowdBlock,
    CrowdReport,
    CurrentQueue,
    CurrentStatus,
    Forecast,
    PlannedStatus,
    QueueHourly,
    QueueReport,
    StatusReport,
)
from content.customs.models import CustomsRule, ExchangeRate, Substance, SubstanceRule
from content.translations.models import TranslationState
from content.versions import DataVersion

__all__ = [
    "DataVersion",
    "TranslationState",
    "Agency",
    "AuditEntry",
    "AuthToken",
    "Campaign",
    "CampaignRevision",
    "CampaignTranslation",
    "Image",
    "User",
    "QueueHourly",
    "Forecast",
    "ApiKey",
    "Checkpoint",
    "CrowdBlock",
    "CrowdReport",
    "CurrentQueue",
    "CurrentStatus",
    "PlannedStatus",
    "CustomsRule",
    "ExchangeRate",
    "Substance",
    "SubstanceRule",
    "IdempotencyRecord",
    "QueueReport",
    "StatusReport",
]
