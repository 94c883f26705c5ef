"""What the case page shows of linked cases: where the case came from, what was started from it, what may be."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, url_for
from sqlalchemy.orm import Session

from engine import case_links
from engine.actors import Actor
from engine.context import EngineContext
from engine.models import ProcessInstance
from engine.whistle_rules import PROCESS_KEY as WHISTLE_KEY

# The pages that start a process with its own form, by process key. A process without one is
# started from the API (POST /api/v1/instances with ``linked_from``); the page says so.
START_PAGES = {WHISTLE_KEY: "street.new"}


@dataclass(frozen=True)
class ShownOffer:
    """A process the reader may start from the case, and the page that does it (None: through the API)."""

    name: str
    process_key: str
    url: str | None


def shown(session: Session, ctx: EngineContext, actor: Actor, case: ProcessInstance) -> dict[str, object]:
    """The template's ``links`` (both directions) and ``offers``."""
    offers = []
    for offer in case_links.offers(session, ctx, actor, case):
        endpoint = START_PAGES.get(offer.process_key)
        url = url_for(endpoint, linked_from=case.id) if endpoint in current_app.view_functions else None
        offers.append(ShownOffer(offer.name, offer.process_key, url))
    return {"links": case_links.links(session, actor, case), "offers": offers}
