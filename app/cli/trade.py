"""``flask trade deliver | status | retry``: the trading-system outbox from the command line."""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.errors import DomainError
from app.extensions import db
from app.integrations.trading import TradingClient, TradingNotConfigured
from app.services.outbox import (BATCH_SIZE, DeliveryReport, RetryPolicy, deliver_pending, outbox_counts,
                                 retry_many, retry_parked)

trade_cli = AppGroup("trade", help="Link to the trading system (房地产交易系统): outbox delivery.")


@trade_cli.command("deliver")
@click.option("--limit", default=200, show_default=True, help="Messages per run.")
@click.option("--until-done", is_flag=True, help="Repeat runs until no due message is left.")
def deliver_command(limit: int, until_done: bool) -> None:
    """Send the due outbox messages once and print a summary."""
    try:
        client = TradingClient.from_config(current_app.config)
    except TradingNotConfigured as exc:
        raise click.ClickException(exc.detail) from exc
    total = DeliveryReport()
    policy = RetryPolicy.from_config(current_app.config)
    with client:
        while True:
            report = deliver_pending(
                db.session, client, limit=limit, policy=policy,
                batch_size=int(current_app.config.get("OUTBOX_BATCH_SIZE", BATCH_SIZE)))
            for name in ("delivered", "failed", "parked", "skipped"):
                setattr(total, name, getattr(total, name) + getattr(report, name))
            total.pending = report.pending
            total.errors += report.errors
            if not until_done or report.attempted < limit:
                break
    click.echo(f"delivered: {total.delivered}, failed (will retry): {total.failed}, "
               f"parked: {total.parked}, skipped: {total.skipped}, pending: {total.pending}")
    for error in total.errors[:10]:
        click.echo(f"  {error}", err=True)


@trade_cli.command("status")
def status_command() -> None:
    """Print how many outbox messages are pending, delivered and parked."""
    counts = outbox_counts(db.session)
    click.echo(", ".join(f"{status.lower()}: {n}" for status, n in counts.items()))


@trade_cli.command("retry")
@click.argument("message_ids", nargs=-1, type=int)
@click.option("--parked", "all_parked", is_flag=True, help="Retry every parked message.")
def retry_command(message_ids: tuple[int, ...], all_parked: bool) -> None:
    """Put parked (or pending) messages back in the queue with their attempts reset."""
    if not message_ids and not all_parked:
        raise click.UsageError("give message ids or --parked")
    try:
        count = retry_parked(db.session) if all_parked else len(retry_many(db.session, message_ids))
    except DomainError as exc:
        raise click.ClickException(str(exc.message)) from exc
    click.echo(f"queued again: {count}")


def register(app: Flask) -> None:
    app.cli.add_command(trade_cli)
