"""``guides search``: find guides as citizens ask for them (for hotline operators and tests)."""

from __future__ import annotations

from pathlib import Path

import click
import orjson

from guidesrc.cli.options import format_option, pass_library
from guidesrc.i18n import N_, _
from guidesrc.services import search as service


@click.command(
    name="search",
    help=N_(
        "Find the guides that answer QUERY, best first: names, synonyms and abbreviations "
        "(社保), pinyin (shebao, sb), traditional characters, one wrong or missing character. "
        "Exits 1 when nothing is found."
    ),
)
@click.argument("query")
@pass_library()
@click.option("--limit", type=click.IntRange(1, 1000), default=10, show_default=True,
              help=N_("How many guides to show at most."))  # fmt: skip
@format_option(
    ["text", "json"], N_('text: for people; json: [{"id", "name", "score", "snippet"}].')
)
def search(query: str, library: Path, limit: int, fmt: str) -> None:
    found = service.search(library, query, limit)
    if fmt == "json":
        click.echo(orjson.dumps([h.json() for h in found.hits]).decode())
    else:
        _print(query, found)
    if not found.hits:
        raise SystemExit(1)


def _print(query: str, found: service.Found) -> None:
    for rank, hit in enumerate(found.hits, 1):
        click.echo(f"{rank}. {hit.name}  [{hit.id}]  {hit.department}")
        if hit.snippet:
            click.echo(f"   {hit.snippet}")
    if found.hits:
        return
    click.echo(_('no guide found for "{query}"').format(query=query))
    if found.suggestions:
        click.echo(_("did you mean: {words}").format(words="、".join(found.suggestions)))
    if found.themes:
        click.echo(_("themes: {themes}").format(themes="、".join(found.themes)))
    click.echo(_("hotline: {number}").format(number=found.hotline))
