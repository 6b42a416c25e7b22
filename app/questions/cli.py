"""`uppsikt questions`: questions from the public and their answer deadlines."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import typer

from app.oversight.service import STOCKHOLM

app = typer.Typer(help="Questions from the public and their answer deadlines.",
                  no_args_is_help=True)


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


@app.command("list")
def list_questions(
    overdue: Annotated[bool, typer.Option("--overdue", help="Only those past their due day.")]
    = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Open questions, the most overdue first."""
    from app.cli import transaction
    from app.questions.service import question_views

    today = datetime.now(STOCKHOLM).date()
    with transaction() as (session, _settings):
        views = question_views(session, units=None, limit=100_000,
                               overdue_before=today if overdue else None)
        rows = [{"item_id": v.item.platform_id, "page_id": v.page.platform_id,
                 "page": v.page.name, "unit": v.page.unit, "kind": v.item.kind,
                 "asked_at": v.question.asked_at.isoformat(),
                 "due_on": v.question.due_on.isoformat(),
                 "overdue": v.question.due_on < today} for v in views]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        typer.echo("no open questions")
        return
    for row in rows:
        late = "  OVERDUE" if row["overdue"] else ""
        typer.echo(f"{row['item_id']}\t{row['kind']}\tdue {row['due_on']}\t"
                   f"{row['unit']} / {row['page']}{late}")


@app.command("close")
def close(
    item_id: Annotated[str, typer.Argument(help="The item's Facebook id.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it needs no answer.")],
    by: Annotated[str, typer.Option("--by", help="Who closes it (recorded).")],
) -> None:
    """Close an open question as needing no answer (Kräver inget svar)."""
    from app.cli import transaction
    from app.questions.service import QuestionError, close_question, find_question

    if not by.strip() or len(by) > 100:
        _fail("--by must be a name of 1 to 100 characters")
    with transaction() as (session, _settings):
        found = find_question(session, item_id)
        if found is None:
            _fail(f"no question for item {item_id!r}")
            return
        try:
            close_question(session, found[0], by=by.strip(), reason=reason)
        except QuestionError as exc:
            _fail(str(exc))
    typer.echo(f"closed {item_id}")
