"""Comments (留言) on the case page: everyone taking part reads them and may add one (not on a withdrawn case)."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine import comments
from engine.errors import Conflict, Forbidden, InvalidInput, StaleRevision
from web.auth.session import current_actor, login_required
from web.db import now, services, write
from web.i18n import refusal_text, translate


@login_required
def comment(instance_id: int) -> Response | tuple[str, int]:
    """Post a comment on the case as a whole; 422 re-shows the page with the text kept and the error beside it."""
    from web.cases import render_case

    actor, ctx = current_actor(), services().ctx
    body = request.form.get("body", "")
    try:
        write(lambda session: comments.add(session, ctx, actor, body, now=now(), instance_id=instance_id))
    except InvalidInput as error:
        message = refusal_text(error)
        return render_case(instance_id, comment_body=body, comment_error=message), 422
    except StaleRevision:
        raise
    except (Conflict, Forbidden) as error:
        flash(translate(error.template, error.params), "error")
    else:
        flash(_("Your comment is posted; everyone on the case can read it."), "success")
    return redirect(url_for("cases.show", instance_id=instance_id, _anchor="comments"))
