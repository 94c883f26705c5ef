"""Who may open which pages, from the capabilities roles are granted in data (never from role names)."""
from __future__ import annotations

from engine import public_demands
from engine.actors import Actor
from engine.roles import Capability
from engine.whistle_rules import street_seats
from web.db import read_session, services

_PLATFORM = {Capability.DESIGN, Capability.ADMINISTER, Capability.PUBLIC}


def works_on_tasks(actor: Actor) -> bool:
    """Holds a seat that may get tasks: any role not only for the platform or the public."""
    return any(not (seat.capabilities & _PLATFORM) for seat in actor.seats)


def oversees_widely(actor: Actor) -> bool:
    """Every casework seat supervises beyond its own unit (a district's 督查室, leaders, a city centre)."""
    casework = [s for s in actor.seats if not (s.capabilities & _PLATFORM)]
    return bool(casework) and all(Capability.SUPERVISE in s.capabilities and s.oversees for s in casework)


def blows_whistles(actor: Actor) -> bool:
    """Holds the role the whistle's start event asks for."""
    return bool(street_seats(read_session(), actor, starting=True))


def follows_whistles(actor: Actor) -> bool:
    """Blows whistles or heads those who do (the street's own boards)."""
    return bool(street_seats(read_session(), actor))


def takes_requests_in(actor: Actor) -> bool:
    """May start the public site's process from a seat granted ``start``: takes demands in for residents."""
    channels = services().public
    return bool(channels) and bool(public_demands.counter_seats(read_session(), services().ctx, actor, channels[0]))


def supervises(actor: Actor) -> bool:
    """Oversees a subtree, or heads a role somewhere (a head reads its own unit's scores)."""
    return actor.supervises or actor.is_head


def decides_extensions(actor: Actor) -> bool:
    """Heads some role in some unit: decides its extension requests."""
    return actor.is_head


def designs(actor: Actor) -> bool:
    """Draws and deploys processes, or administers."""
    return actor.can(Capability.DESIGN, Capability.ADMINISTER)


def administers(actor: Actor) -> bool:
    """Manages users, units and cases."""
    return actor.can(Capability.ADMINISTER)
