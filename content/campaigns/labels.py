"""Translatable names of campaign statuses and workflow actions (gettext msgids).

The console renders them in the editor's language.
"""

from content.campaigns.models import CampaignStatus
from content.errors import N_

STATUS_LABELS = {
    CampaignStatus.DRAFT: N_("Draft"),
    CampaignStatus.IN_REVIEW: N_("In review"),
    CampaignStatus.APPROVED: N_("Approved"),
    CampaignStatus.PUBLISHED: N_("Published"),
    CampaignStatus.ARCHIVED: N_("Archived"),
}
# one per action of content.campaigns.service.TRANSITIONS
ACTION_LABELS = {
    "submit": N_("Submit for review"),
    "return": N_("Return to draft"),
    "approve": N_("Approve"),
    "publish": N_("Publish"),
    "unpublish": N_("Unpublish"),
    "archive": N_("Archive"),
}
