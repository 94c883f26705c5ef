"""The demo organisation as files declare it, for tests that check diagrams without a database."""
from __future__ import annotations

from functools import cache
from typing import Any

from engine import organisation_data
from engine.expressions import Evaluator
from engine.organisation_data import Organisation
from engine.organisation_view import OrganisationView
from engine.roles import RoleBook
from engine.validation import Bundle, ValidatedBundle, validate_bundle
from tests.support import PROCESSES

# The shipped packs' organisation files, the organisation first (practices name its units).
DEMO_ORGANISATION = [PROCESSES / pack / "organisation.yaml" for pack in ("demo-city", "rxjb", "ywtb", "yishi")]


@cache
def demo_organisation() -> Organisation:
    """The shipped demo organisation with every pack's additions (read once)."""
    organisation = Organisation()
    for path in DEMO_ORGANISATION:
        _, problems = organisation_data.read_file(path, organisation)
        assert problems == []
    return organisation


@cache
def demo_view() -> OrganisationView:
    """What a deploy checks diagrams against, as the demo organisation declares it."""
    return OrganisationView.of(demo_organisation())


def demo_roles() -> RoleBook:
    """The demo organisation's roles."""
    return demo_view().roles


def validate_demo(bundle: Bundle, evaluator: Evaluator, **options: Any) -> ValidatedBundle:
    """``validate_bundle`` against the demo organisation (unless the bundle brings its own)."""
    if bundle.organisation is None:
        bundle.organisation = demo_view()
    return validate_bundle(bundle, evaluator, **options)
