"""All models, one module per aggregate. Importing this package registers every table."""

from webapp.models.attachment import AttachmentFile, TemplateAttachment
from webapp.models.audience import Candidate, ImportRun, Job, Shortlist, ShortlistEntry, TriggerRule
from webapp.models.audit import AuditLog
from webapp.models.base import Base, new_id, utcnow
from webapp.models.breakdown_rollup import DomainRollup, LinkRollup
from webapp.models.campaign import Campaign, CampaignStatus
from webapp.models.image import Image
from webapp.models.inbound import InboundMail, InboundMailbox
from webapp.models.login_session import LoginSession
from webapp.models.message import (
    DeliveryAttempt,
    IdempotencyRecord,
    Message,
    MessageEvent,
    MessageStatus,
    SentContent,
    StatRollup,
)
from webapp.models.organization import (
    ApiKey,
    Brand,
    Membership,
    Organization,
    Relay,
    Role,
    SendingDomain,
    User,
)
from webapp.models.suppression import Preference, Suppression
from webapp.models.template import EmailTemplate, TemplateVersion
from webapp.models.translation import TemplateTranslation, VersionLanguage
from webapp.models.webhook import (
    ProviderConfig,
    ProviderWebhookLog,
    WebhookDelivery,
    WebhookEndpoint,
)

__all__ = [
    "ApiKey",
    "AttachmentFile",
    "AuditLog",
    "Base",
    "Brand",
    "Campaign",
    "CampaignStatus",
    "Candidate",
    "DeliveryAttempt",
    "DomainRollup",
    "EmailTemplate",
    "IdempotencyRecord",
    "Image",
    "ImportRun",
    "InboundMail",
    "InboundMailbox",
    "Job",
    "LinkRollup",
    "LoginSession",
    "Membership",
    "Message",
    "MessageEvent",
    "MessageStatus",
    "Organization",
    "Preference",
    "ProviderConfig",
    "ProviderWebhookLog",
    "Relay",
    "Role",
    "SendingDomain",
    "SentContent",
    "Shortlist",
    "ShortlistEntry",
    "StatRollup",
    "Suppression",
    "TemplateAttachment",
    "TemplateTranslation",
    "TemplateVersion",
    "TriggerRule",
    "User",
    "VersionLanguage",
    "WebhookDelivery",
    "WebhookEndpoint",
    "new_id",
    "utcnow",
]
