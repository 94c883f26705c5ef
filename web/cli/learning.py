"""``whistle learn``: train the models dispatch suggestions learn from (人机协同) now, and show them."""
from __future__ import annotations

import click

from engine import learned_choices, learned_models
from web.cli.state import CliState, transaction


@click.command()
@click.option("--rebuild", is_flag=True, help="Start every model again from the catalogue and all decisions.")
@click.pass_obj
def learn(state: CliState, rebuild: bool) -> None:
    """Train now what the worker trains every minute, then list each model and what it has learned."""
    if not learned_choices.available():
        raise click.ClickException("learning is not installed: pip install 'whistle[learning]' "
                                   "(without it the decision tables alone suggest)")
    if not state.settings.learning:
        click.echo("note: WHISTLE_LEARNING is off, so servers do not use these models")
    with transaction(state) as session:
        trained = learned_models.retrain(session, state.now(), rebuild=rebuild, evaluator=state.services.ctx.evaluator)
        for item in trained:
            click.echo(f"trained {item.process_key}/{item.element_id}: {item.added} new decision(s)"
                       f"{' (rebuilt)' if item.rebuilt else ''}")
        models = learned_models.status(session)
    if not models:
        click.echo("no business rule task with learn_* properties is deployed")
    for model in models:
        click.echo(f"{model.process_key}/{model.element_id}: {model.decisions} decision(s) learned, "
                   f"{model.classes} value(s) known, trained at {model.trained_at.isoformat(timespec='seconds')}")


COMMANDS = [learn]
