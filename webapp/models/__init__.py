"""SQLAlchemy 2 typed models. Every tenant-owned row carries `shop_id`; queries for tenant data
go through `webapp.services.accounts.tenancy` helpers that scope them to the current shop."""

from .accounts import ROLES, LoginAttempt, Shop, User  # noqa: F401
from .documents import CustomerLink, Document, DocumentRule, DocumentState, PostStep  # noqa: F401
from .integration import Integration, IntegrationStatus, WebhookDelivery  # noqa: F401
from .jobs import Job, JobState  # noqa: F401
from .limits import RateLimitHit, RateLimitPenalty  # noqa: F401
from .logs import ApiCall, AuditEvent  # noqa: F401
from .orders import ApiToken, EventType, Order, OrderEvent, OrderLine, OrderSource, OrderStatus  # noqa: F401
from .types import Money, utcnow  # noqa: F401
