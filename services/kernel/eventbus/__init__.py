"""The event bus: a transactional outbox in PostgreSQL with an ordering fence and subscriptions.

Publishing inserts the event in the publisher's own transaction (`publish`). Consumers read only events
whose transaction id lies below the oldest running transaction (`pg_snapshot_xmin`), in `(xid, id)`
order, so an event committed late with a low id is never skipped. See `consumer.py` for delivery.
"""

from services.kernel.eventbus.envelope import Event, EventPayload
from services.kernel.eventbus.publish import publish, publish_many
from services.kernel.eventbus.subscriptions import Handler, Subscription

__all__ = ["Event", "EventPayload", "Handler", "Subscription", "publish", "publish_many"]
