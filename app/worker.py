"""The queue consumer's entry point: ``huey_consumer app.worker.huey`` (``make run`` starts one).

The consumer builds the app from the same configuration as the web process, so it finds the
same database and the same queue store (app/queue.py).
"""
from app import create_app
from app.queue import queue_of

app = create_app()
huey = queue_of(app).huey
