"""Pipeline commands: `edgekit pipeline init|ask|teach|forget|export|info DIR`, with `edgekit ask DIR` and
`edgekit teach DIR` as short forms (`edgekit forget` is the learned-head command; use `pipeline forget`)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from .app import Boundary, answer_records, app, fail, guarded

pipeline_app = typer.Typer(name="pipeline", cls=Boundary, no_args_is_help=True, add_completion=False,
                           help="The edge pipeline: normalizer -> grammar -> learned head, taught on the device.")
app.add_typer(pipeline_app, name="pipeline")

DirArg = typer.Argument(..., help="The pipeline directory (made by `edgekit pipeline init`).")


def _lock(directory: Path):
    from ..pipeline import PIPELINE_FILE
    from ..storage import file_lock

    return file_lock(directory / PIPELINE_FILE)


def _load(directory: Path):
    from ..pipeline import Pipeline

    return Pipeline.load(directory)


@pipeline_app.command("init")
def init(directory: Path = typer.Argument(..., help="Directory to create the pipeline in."),
         grammar: str = typer.Option(..., "--grammar", "-g", help="Domain grammar: shipped name (home) or path."),
         normalizer: str = typer.Option("en-itn", "--normalizer", help="Grammar that normalizes text first "
                                                                         "(none: skip)."),
         threshold: float = typer.Option(0.5, "--threshold", help="Head score below which a text is not "
                                                                  "understood (0..1)."),
         seed: int = typer.Option(48, "--seed", help="Grammar phrasings per intent that seed the head (0: none)."),
         features: int = typer.Option(512, "--features", help="Hashed feature size of the learned head."),
         force: bool = typer.Option(False, "--force", help="Replace an existing pipeline in DIR.")) -> None:
    """Create a pipeline directory: compiled grammars plus a head seeded from the grammar's phrasings."""
    def body() -> None:
        from ..pipeline import PIPELINE_FILE, Pipeline

        if (directory / PIPELINE_FILE).exists() and not force:
            raise fail(f"{directory} already holds a pipeline (use --force to replace it)")
        pipe = Pipeline(grammar, None if normalizer.lower() == "none" else normalizer, threshold=threshold,
                        seed_per_intent=seed, n_features=features)  # before anything is written: a bad grammar leaves no trace
        with _lock(directory):
            if (directory / PIPELINE_FILE).exists() and not force:
                raise fail(f"{directory} already holds a pipeline (use --force to replace it)")
            pipe.save(directory)
        typer.echo(json.dumps(pipe.info(), ensure_ascii=False))

    guarded(body)


def ask(directory: Path = DirArg,
        files: Optional[List[Path]] = typer.Argument(None, help="Input files, one text a line (default: stdin)."),
        jsonl: bool = typer.Option(False, "--jsonl", help="Input is JSON Lines; the text is in --field."),
        field: str = typer.Option("text", "--field", help="JSON field holding the text (with --jsonl)."),
        trace: bool = typer.Option(False, "--trace", help="Include the grammar's digestion tree.")) -> None:
    """Understand each input line: one JSON line out with intent, source (grammar or head), slots or score."""
    def body() -> None:
        from ..errors import DataError
        from ..record_loop import Reply, run_batch

        pipe = _load(directory)

        def answer(chunk: list) -> list[Reply]:
            good = [r for r in chunk if not (jsonl and r.error)]
            answers = iter(run_batch(lambda texts: pipe.ask_many(texts, trace=trace), [r.text for r in good]))
            replies = []
            for rec in chunk:
                got = None if jsonl and rec.error else next(answers)
                error = str(got) if isinstance(got, DataError) else rec.error
                if got is None or isinstance(got, DataError):
                    out = {"text": rec.text, "intent": None, "source": None, "error": error}
                else:
                    out = got.to_dict(trace=trace)
                replies.append(Reply(json.dumps(out, ensure_ascii=False), error))
            return replies

        answer_records(files, jsonl, field, answer)

    guarded(body)


def teach(directory: Path = DirArg,
          texts: Optional[List[str]] = typer.Argument(None, help="Texts to teach (default: one per stdin line)."),
          intent: Optional[str] = typer.Option(None, "--intent", "-i", help="The intent the texts mean. Without "
                                               "it, stdin is JSON Lines of {\"text\": ..., \"intent\": ...}.")) -> None:
    """Teach the pipeline that texts mean an intent (new intents welcome); the directory is updated atomically."""
    def body() -> None:
        pairs = _teaching_pairs(texts, intent)
        with _lock(directory):
            pipe = _load(directory)
            pipe.teach_many([t for t, _ in pairs], [i for _, i in pairs])
            pipe.save(directory)
        for text, taught in pairs:
            answer = pipe.ask(text)
            now = f"{answer.intent} ({answer.source}{f', score {answer.score:.2f}' if answer.score is not None else ''})"
            typer.echo(f"taught {text!r} as {taught}; now understood as {now if answer.understood else 'nothing'}",
                       err=True)

    guarded(body)


def _teaching_pairs(texts: Optional[List[str]], intent: Optional[str]) -> list[tuple[str, str]]:
    from ..errors import DataError
    from ..textio import read_records

    if texts:
        if intent is None:
            raise fail("give --intent NAME for the texts on the command line")
        return [(t, intent) for t in texts]
    pairs = []
    for rec in read_records([], jsonl=intent is None, field="text"):
        if rec.error:
            raise DataError(f"{rec.where}: {rec.error}")
        if intent is not None:
            if rec.text.strip():
                pairs.append((rec.text, intent))
        elif not isinstance(rec.obj.get("intent"), str):
            raise DataError(f"{rec.where}: expected a string field 'intent'")
        else:
            pairs.append((rec.text, rec.obj["intent"]))
    if not pairs:
        raise DataError("nothing to teach: no texts given")
    return pairs


@pipeline_app.command("forget")
def forget(directory: Path = DirArg,
           texts: Optional[List[str]] = typer.Argument(None, help="Taught texts to unlearn (one teaching each)."),
           intent: Optional[str] = typer.Option(None, "--intent", "-i", help="With texts: the intent they were "
                                                "taught as (needed only if several). Alone: forget the whole intent.")
           ) -> None:
    """Unlearn taught texts, or a whole learned intent, exactly; the directory is updated atomically."""
    def body() -> None:
        from ..textio import plural

        if not texts and intent is None:
            raise fail("give the texts to forget, or --intent NAME to forget a whole intent")
        with _lock(directory):
            pipe = _load(directory)
            if texts:
                done = [f"{t!r} (was {pipe.forget(t, intent)})" for t in texts]
            else:
                done = [f"intent {intent} ({plural(pipe.forget_intent(intent), 'teaching')})"]
            pipe.save(directory)
        typer.echo(f"forgot {', '.join(done)}; the head now knows: {', '.join(pipe.intents['head']) or 'nothing'}",
                   err=True)

    guarded(body)


@pipeline_app.command("export")
def export(directory: Path = DirArg,
           output: Path = typer.Option(..., "--output", "-o", help="Directory for the runtime pipeline.")) -> None:
    """Write the runtime form: compiled grammars plus the head as ONNX (answers with onnxruntime; cannot learn)."""
    def body() -> None:
        _load(directory).export(output)
        typer.echo(f"exported {directory} to {output}", err=True)

    guarded(body)


@pipeline_app.command("info")
def info(directory: Path = DirArg) -> None:
    """Print the pipeline's grammars, threshold, intents and head size as JSON."""
    guarded(lambda: typer.echo(json.dumps(_load(directory).info(), ensure_ascii=False)))


pipeline_app.command("ask")(ask)
pipeline_app.command("teach")(teach)
app.command("ask")(ask)
app.command("teach")(teach)
