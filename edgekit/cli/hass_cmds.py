"""Home Assistant commands: `edgekit hass import` (intent data -> compiled language file), `edgekit hass
to-forest` (intent data -> a .forest grammar set) and `edgekit hass parse` (commands -> intents, JSON Lines)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from .app import answer_records, app, context_option, each_record, fail, guarded

hass_app = typer.Typer(help="Home Assistant intents: import HA's sentence data, parse commands against it.",
                       no_args_is_help=True)
app.add_typer(hass_app, name="hass")


@hass_app.command("import")
def import_cmd(source: Path = typer.Argument(..., help="sentences/<lang>/ folder, an intents checkout (with "
                                                       "--lang), or a merged <lang>.json."),
               output: Path = typer.Option(..., "--output", "-o", help="Compiled language file to write."),
               lang: Optional[str] = typer.Option(None, "--lang", help="Language in an intents checkout."),
               force: bool = typer.Option(False, "--force", help="Overwrite an output file that is not an "
                                                                 "edgekit compiled language.")) -> None:
    """Import a language: read, check and compile its templates (number words included) into one file."""
    def body() -> None:
        from ..hass import import_language
        from ..hass.artifact import FORMAT

        if output.exists() and not force:
            head = output.open("rb").read(200)
            if FORMAT.encode() not in head:
                raise fail(f"{output} exists and is not an edgekit compiled language (use --force)")
        compiled = import_language(source, output, lang)
        st = compiled.stats
        typer.echo(f"{output}: {compiled.language}, {st['templates']} templates in {st['blocks']} blocks, "
                   f"{st['states']} states; runtime lists: {', '.join(sorted(compiled.runtime_lists)) or 'none'}",
                   err=True)

    guarded(body)


@hass_app.command("to-forest")
def to_forest_cmd(source: Path = typer.Argument(..., help="sentences/<lang>/ folder, an intents checkout (with "
                                                          "--lang), or a merged <lang>.json."),
                  output: Path = typer.Option(..., "--output", "-o", help="Folder to write main.forest into."),
                  lang: Optional[str] = typer.Option(None, "--lang", help="Language in an intents checkout.")) -> None:
    """Write a language as a .forest grammar set, for edgekit's forest engine (explain, pipelines)."""
    def body() -> None:
        from ..hass import load_language
        from ..hass.to_forest import write_forest

        export = write_forest(load_language(source, lang), output)
        left = "; ".join(f"{k}: {v}" for k, v in sorted(export.left_out.items())) or "nothing"
        typer.echo(f"{output / 'main.forest'}: {export.language}, {export.exported} of {export.templates} templates; "
                   f"left out: {left}", err=True)

    guarded(body)


@hass_app.command("parse")
def parse_cmd(language: Path = typer.Argument(..., help="Compiled language file (edgekit hass import)."),
              files: Optional[List[Path]] = typer.Argument(None, help="Input files, one command a line "
                                                                      "(default: stdin)."),
              lists: Optional[Path] = typer.Option(None, "--lists", help="Home file (JSON, or YAML with the hass "
                                                   "extra): areas, floors, entities like HA's test fixtures."),
              context: Optional[str] = typer.Option(None, "--context", help='Caller context as JSON, e.g. '
                                                    '\'{"area": "Kitchen"}\' (the satellite\'s area).'),
              n_best: int = typer.Option(1, "-n", help="Readings per line (best first)."),
              jsonl: bool = typer.Option(False, "--jsonl", help="Input is JSON Lines: text in --field, an "
                                                                "optional per-line `context` object."),
              field: str = typer.Option("text", "--field", help="JSON field holding the text (with --jsonl).")) -> None:
    """Parse commands: one JSON object per input line (intent null plus a reason when nothing matches)."""
    def body() -> None:
        from ..hass import load_compiled, load_home

        recognizer = load_compiled(language)
        if lists is not None:
            for name, entries in load_home(lists).items():
                if name in recognizer.runtime_lists:
                    recognizer.set_list(name, entries)
        base_ctx = context_option(context)

        def handle(rec) -> str:
            if rec.error:
                return json.dumps({"text": rec.text, "intent": None, "reason": rec.error}, ensure_ascii=False)
            ctx = dict(base_ctx)
            if rec.obj is not None and isinstance(rec.obj.get("context"), dict):
                ctx.update(rec.obj["context"])
            results = recognizer.parse(rec.text, ctx, max(n_best, 1))
            if not results:
                out = _rejection(recognizer, rec.text, ctx)
            elif n_best <= 1:
                out = {"text": rec.text, **_result(recognizer, results[0])}
            else:
                out = {"text": rec.text, "results": [_result(recognizer, r) for r in results]}
            return json.dumps(out, ensure_ascii=False, default=str)

        answer_records(files, jsonl, field, each_record(handle))

    guarded(body)




def _rejection(recognizer, text: str, ctx: dict) -> dict:
    """A line no template reads: why, the home list values it names that the home lacks (if a template
    would read it with them), and what the language says back (its no_entity / no_area ... or no_intent
    error response)."""
    reason, near = recognizer.rejection(text, ctx)
    out = {"text": text, "intent": None, "reason": reason}
    if near is not None:
        out.update(unmatched=near.unmatched, near={"intent": near.intent, "where": near.where})
    return _say(out, lambda: recognizer.unmatched_response(near) if near else recognizer.error_response("no_intent"))


def _result(recognizer, r) -> dict:
    out = {"intent": r.intent, "slots": r.slot_values(), "slot_texts": {k: v.text for k, v in r.slots.items()},
           "context": r.context, "template": r.template, "where": r.where, "block": r.block,
           "response": r.response, "metadata": r.metadata}
    return _say(out, lambda: recognizer.response(r))


def _say(out: dict, speech) -> dict:
    """out with the rendered response as `response_text` (when the language has one), or a bad response
    template's error as `response_error`: said on this line, the other lines go on."""
    from ..errors import DataError

    try:
        text = speech()
    except DataError as exc:
        out["response_error"] = str(exc)
    else:
        if text is not None:
            out["response_text"] = text
    return out
