"""The queue consumer's entry point: ``huey_consumer app.worker.huey`` (``make run`` starts one).

The consumer builds the app from the same configuration as the web process, so it finds the
same database and the same queue store (app/queue.py).
"""
import logging

from app import create_app
from app.queue import queue_of

app = create_app()
huey = queue_of(app).huey
# The consumer gives huey's logger a handler of its own; without this every line of it would be
# printed twice, once more through the app's root handler.
logging.getLogger("huey").propagate = False
