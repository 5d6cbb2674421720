"""Command line: `antifraud check | validate | eval | train | serve`.

Imports are lazy: the engine, pydantic and the web stack load only for the command that needs
them, and `check` / `eval` read the compiled library from its cache (bot/library/cache.py), so a
one-off `antifraud check` starts in a fraction of a second instead of re-reading every YAML file.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.conversation.phrases import Phrases
    from bot.engine.pipeline import Engine
    from bot.engine.types import Verdict
    from bot.library.loader import Library
    from bot.library.schema import Region

MAX_CHECK_CHARS = 100_000  # longer input is cut (and said so) rather than refused
PUMP_SIZE = 5000  # the service's default message size limit

RISK_LABELS = {
    "zh": {"high": "高风险", "medium": "中风险", "low": "低风险", "none": "未发现已知骗局"},
    "en": {"high": "HIGH RISK", "medium": "MEDIUM RISK", "low": "LOW RISK", "none": "no known scam found"},
}


def _load(path: str | None) -> Library:
    """The library for check and eval: from the compiled cache when its files are unchanged."""
    from bot.library.cache import load_library_cached

    return load_library_cached(Path(path) if path else None)


def _engine(path: str | None) -> Engine:
    """The engine for check and eval: from the compiled cache when the files and the code are unchanged."""
    from bot.library.cache import load_engine_cached

    return load_engine_cached(Path(path) if path else None)


def _read_text(argument: str) -> str:
    if argument != "-":
        return argument
    data = sys.stdin.buffer.read()
    return data.decode("utf-8", errors="replace")


def render_marked(text: str, verdict: Verdict) -> str:
    """The message with each piece of evidence wrapped in [[ ]] and numbered."""
    spans = sorted({e.span for e in verdict.evidence if e.span[1] > e.span[0]})
    chosen: list[tuple[int, int]] = []
    for span in spans:  # keep non-overlapping spans, earliest first
        if not chosen or span[0] >= chosen[-1][1]:
            chosen.append(span)
    out, last = [], 0
    for number, (start, end) in enumerate(chosen, start=1):
        out.append(text[last:start])
        out.append(f"[[{text[start:end]}]]{_superscript(number)}")
        last = end
    out.append(text[last:])
    return "".join(out)


def _superscript(number: int) -> str:
    return str(number).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))


def format_verdict(text: str, verdict: Verdict, library: Library, region: Region | None = None) -> str:
    """The verdict for a terminal; its headings in the region's script (traditional in hk and tw),
    like the advice they head."""
    zh = verdict.lang == "zh"
    labels = RISK_LABELS["zh" if zh else "en"]
    from bot.library.regions import region_text

    def script(words: str) -> str:
        if region is None:
            return words
        return region_text(region, verdict.lang, library.settings.default_language).script(words)

    lines = [f"{script(labels[str(verdict.risk)])} ({verdict.score:.2f})"]
    if verdict.subtype:
        name = library.scam_type(verdict.subtype).name
        lines[0] += f" — {script(name.get(verdict.lang) or next(iter(name.values())))} [{verdict.scam_type}]"
    lines += ["", render_marked(text, verdict), ""]
    lines += verdict.notes
    if verdict.evidence:
        lines.append(script("证据：") if zh else "Evidence:")
        for item in verdict.evidence:
            lines.append(f"  - «{item.text}» ({item.kind}): {item.why}")
    if verdict.indicators:
        lines.append(
            script("消息里的链接和号码（不要点开或回拨）：") if zh else "Links and numbers (do not open or call):"
        )
        lines += [f"  - {i.kind}: {i.defanged}" for i in verdict.indicators]
    if verdict.warning_signs:
        lines.append(script("警示信号：") if zh else "Warning signs:")
        lines += [f"  - {sign}" for sign in verdict.warning_signs]
    if verdict.next_step:
        lines.append((script("接下来他们通常会：") if zh else "What they usually ask next: ") + verdict.next_step)
    lines.append(script("现在该做的：") if zh else "What to do now:")
    lines += [f"  - {step}" for step in verdict.advice.before]
    lines.append(script("如果已经付钱或给了验证码：") if zh else "If you already paid or gave a code:")
    lines += [f"  - {step}" for step in verdict.advice.after]
    return "\n".join(lines)


def _check(args: argparse.Namespace) -> int:
    text = _read_text(args.text)
    truncated = len(text) > MAX_CHECK_CHARS
    text = text[:MAX_CHECK_CHARS]
    if not text.strip():
        print("error: the message is empty; pass the text, or - to read it from standard input", file=sys.stderr)
        return 2
    engine = _engine(args.library)
    verdict = engine.analyse(text, lang=args.lang, region=args.region)
    if args.json:
        data = verdict.to_dict()
        data["truncated"] = truncated
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        if truncated:
            print(f"note: only the first {MAX_CHECK_CHARS} characters were checked", file=sys.stderr)
        print(format_verdict(text, verdict, engine.library, engine.region(args.region)))
    return 0


def _validate(args: argparse.Namespace) -> int:
    from bot.channels.sms import load_sms_texts
    from bot.conversation.drill import drill_problems, load_drill_texts
    from bot.conversation.phrases import load_phrases
    from bot.engine.pipeline import Engine
    from bot.library.lint import library_warnings, stale_facts
    from bot.library.loader import LibraryError, load_library

    try:
        library = load_library(Path(args.path) if args.path else None)  # never the cache: this is the check
        phrases = load_phrases(library)  # the dialogue's texts and follow-up questions are knowledge files too
        load_sms_texts(library)
        load_drill_texts(library)
    except LibraryError as exc:
        print(exc, file=sys.stderr)
        return 1
    engine = Engine(library)
    failures = example_failures(engine)
    failures += drill_problems(library)  # every type has a line per stage and 3 rebuttals to drill (issue 14)
    patterns = all_patterns(library, phrases)
    failures += folded_away_spellings(patterns, library.normalise.dialect_words)
    if args.pump_size:
        failures += slow_regexes(patterns, args.pump_size)
    for failure in failures:
        print(f"error: {failure}", file=sys.stderr)
    warnings = library_warnings(library)
    for warning in warnings:
        print(f"warning: {warning}")
    # Facts age: a stale one is a warning to re-check it, never a failure, even with --strict.
    stale = stale_facts(library)
    for notice in stale:
        print(f"warning: {notice}")
    status = "FAILED" if failures else "ok"
    print(
        f"{status}: {len(library.types)} scam types, {len(library.faq)} FAQ entries, "
        f"{len(library.regions.regions)} regions, {len(failures)} failure(s), "
        f"{len(warnings) + len(stale)} warning(s)"
    )
    return 1 if failures or (warnings and args.strict) else 0


def example_failures(engine: Engine) -> list[str]:
    """Every rule's own match / no-match examples, run through the real matcher."""
    failures = []
    for ref in engine.rules.refs:
        for kind, texts, expected in (
            ("match", ref.rule.examples.match, True),
            ("no_match", ref.rule.examples.no_match, False),
        ):
            for text in texts:
                normalised = engine.normaliser.normalise(text)
                if engine.rules.fires(ref.entry, normalised, engine.detect_language(normalised)) != expected:
                    failures.append(f"{ref.entry}: {kind} example {text!r} {'does not fire' if expected else 'fires'}")
    return failures


def all_patterns(library: Library, phrases: Phrases) -> list[tuple[str, str, str]]:
    """Every library and dialogue regex, as (where it is, language, pattern)."""
    from bot.library.pump import library_patterns

    patterns = list(library_patterns(library))
    cues = phrases.dialogue
    for source, regexes in (
        *((f"dialogue.paid.harms.{harm.id}", harm.patterns) for harm in cues.paid.harms),
        *((f"dialogue.intents.{intent.id}", intent.patterns) for intent in cues.intents),
        *((f"dialogue.doubts.{doubt.id}", doubt.patterns) for doubt in cues.doubts),
        ("dialogue.question_markers", cues.question_markers),
        ("dialogue.definition_markers", cues.definition_markers),
        ("dialogue.told_markers", cues.told_markers),
        ("dialogue.topic_markers", cues.topic_markers),
        *((f"questions.{question.id}.yes_patterns", question.yes_patterns) for question in phrases.questions),
        *((f"questions.{question.id}.no_patterns", question.no_patterns) for question in phrases.questions),
    ):
        patterns += [(source, lang, pattern) for lang, items in regexes.items() for pattern in items]
    return patterns


def folded_away_spellings(patterns: list[tuple[str, str, str]], dialect_words: dict[str, str]) -> list[str]:
    """Regexes read the folded text, where a dialect word is already its standard word ("咗" is "了"): a
    pattern spelling one can never match it there, so it is written in the standard word instead."""
    replaced = sorted((key for key, value in dialect_words.items() if key != value), key=len, reverse=True)
    kept = [key for key, value in dialect_words.items() if key == value]  # longer standard words, protected
    problems = []
    for entry, lang, pattern in patterns:
        unprotected = pattern
        for word in kept:
            unprotected = unprotected.replace(word, "\0")
        spelled = [key for key in replaced if key in unprotected]
        if spelled:
            words = ", ".join(f"{key!r} (folded to {dialect_words[key]!r})" for key in spelled)
            problems.append(f"{entry} ({lang}) regex {pattern!r} spells {words}: it never reaches a pattern")
    return problems


def slow_regexes(patterns: list[tuple[str, str, str]], size: int) -> list[str]:
    """Every library and dialogue regex pumped with adversarial strings up to `size` characters:
    a pattern whose time grows faster than the text fails validation (bot/library/pump.py)."""
    from bot.library.pump import pump

    problems = []
    for entry, lang, pattern in patterns:
        result = pump(pattern, size)
        if result is not None:
            problems.append(f"{entry} ({lang}) regex {pattern!r}: {result.describe(size)}")
    return problems


def _eval(args: argparse.Namespace) -> int:
    from bot.engine.evaluate import EvalFileError, format_table, read_rows, report, run

    if args.without_model:
        import dataclasses

        from bot.engine.pipeline import Engine

        engine = Engine(dataclasses.replace(_load(args.library), model=None, report_model=None, line_model=None))
    else:
        engine = _engine(args.library)
    try:
        outcomes = run(engine, read_rows(Path(args.file)))
    except (OSError, EvalFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    result = report(outcomes)
    print(json.dumps(result, ensure_ascii=False, indent=2) if args.json else format_table(result))
    return 0


def _train(args: argparse.Namespace) -> int:
    """Fit the learned layer on the project's own corpus (never on ../shared/eval), fit its bands to
    the library's false-positive target, and write the model and its cross-validated report."""
    import dataclasses
    import math

    import numpy as np

    from bot.engine.evaluate import EvalFileError
    from bot.engine.pipeline import Engine
    from bot.engine.training import (
        TrainingSettings,
        dump_report,
        fit_bands,
        library_line_rows,
        line_rows,
        out_of_fold,
        read_training_rows,
        report,
        report_rows,
        retold_scam_rows,
        train,
        train_line_layer,
        train_report_layer,
    )
    from bot.library.loader import DEFAULT_LIBRARY, load_library

    library_root = Path(args.library) if args.library else DEFAULT_LIBRARY
    library = load_library(library_root, with_model=False)
    learned = library.settings.learned
    if learned is None:
        print("error: library.yaml has no 'learned' section naming the model file", file=sys.stderr)
        return 2
    rules_only = Engine(dataclasses.replace(library, model=None))
    fold = rules_only.normaliser.fold_pattern
    wordings = library.line_wordings()
    retellings = [Path(p) for p in args.retellings]
    line_model = None if args.report_only or args.keep_lines else learned.line_model  # None: not trained now
    # Every input is read before any layer trains: a broken file is refused at once, not after an hour.
    try:
        rows = read_training_rows([Path(p) for p in args.corpus], fold)
        originals = _original_texts([Path(p) for p in args.corpus])
        retold = line_rows(wordings, retellings, fold) if line_model is not None else []
        lines = library_line_rows(wordings, fold)
        if learned.report_scam_voices:
            lines += retold_scam_rows(wordings, retellings, learned.report_scam_voices, fold)
    except (OSError, EvalFileError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if line_model is not None:
        print("training the line layer ...", flush=True)
        line_layer = train_line_layer(retold, rows)
        line_target = library_root / line_model
        line_layer.save(line_target)
        print(f"line layer: {line_target} ({line_layer.size} n-grams, {len(line_layer.classes) - 1} entries)")
    if args.lines_only:
        return 0
    rule_points = np.array([rules_only.points(originals[row.id]) for row in rows])
    if not args.report_only:
        settings = TrainingSettings()
        print(f"training on {len(rows)} messages ...", flush=True)
        model = train(rows, settings)
        probabilities = out_of_fold(rows, settings)
        is_scam = np.array([row.label != "benign" for row in rows])
        thresholds = library.settings.thresholds
        flag_points = -library.settings.saturation * math.log(1.0 - thresholds.medium)
        bands = fit_bands(
            rule_points, probabilities, is_scam, learned.band_points, flag_points, learned.false_positive_target
        )
        model = model.with_meta(bands=[list(band) for band in bands])
        target = library_root / learned.model
        model.save(target)
        print(f"model: {target} ({model.size} n-grams); bands {bands}")
        if not args.no_report:
            result = report(rows, settings, probabilities) | {"bands": [list(band) for band in bands]}
            report_path = target.with_suffix(".report.json")
            report_path.write_text(dump_report(result), encoding="utf-8")
            print(f"report: {report_path}")
    if learned.report_model is not None:
        scam_word_rows = report_rows(rows, rule_points, learned.report_min_points)
        print(f"training the report layer on {len(scam_word_rows)} messages with scam words ...", flush=True)
        cues = [rules_only.context_cues(originals[row.id]) for row in scam_word_rows]
        corpus_scams = sum(row.label != "benign" for row in rows)
        layer, report_result = train_report_layer(scam_word_rows, cues, corpus_scams, learned, lines)
        report_target = library_root / learned.report_model
        layer.save(report_target)
        print(f"report layer: {report_target} ({layer.size} n-grams); cut-offs {layer.cut_offs}")
        report_target.with_suffix(".report.json").write_text(dump_report(report_result), encoding="utf-8")
    return 0


def _original_texts(paths: list[Path]) -> dict[str, str]:
    texts: dict[str, str] = {}
    for path in paths:
        for file in sorted(path.glob("*.jsonl")) if path.is_dir() else [path]:
            for line in file.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    data = json.loads(line)
                    texts[str(data["id"])] = str(data["text"])
    return texts


def _serve(args: argparse.Namespace) -> int:
    import gc
    import os
    import tempfile

    import uvicorn

    from bot.channels.web.observability import log_config
    from bot.channels.web.settings import Settings

    settings = Settings()
    host = args.host or settings.host
    port = args.port or settings.port
    workers = args.workers or settings.workers
    if workers > 1 and not settings.redis_url.get_secret_value():
        print(
            f"antifraud serve: --workers {workers} needs ANTIFRAUD_REDIS_URL. Without shared state each worker would "
            "keep its own sessions, opt-outs and rate limits, and conversations would break when a message reaches "
            "another worker. Set ANTIFRAUD_REDIS_URL (see docs/operations.md), or run one worker.",
            file=sys.stderr,
        )
        return 2
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Each worker writes its metrics here; /metrics adds them up (bot/channels/web/metrics.py).
        folder = tempfile.mkdtemp(prefix="antifraud-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    elif os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        samples = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
        samples.mkdir(parents=True, exist_ok=True)
        for stale in samples.glob("*.db"):  # samples of an earlier run would be added to ours
            stale.unlink(missing_ok=True)
    print(f"Anti-fraud chatbot on http://{host}:{port}/  (API docs: /docs, workers: {workers})", flush=True)
    # The start (imports, the library, the engine's indexes) makes millions of objects that live as long as
    # the process; automatic collections would walk them again and again for nothing. The app's lifespan
    # freezes them out of the collector and turns collection back on (bot/channels/web/app.py).
    gc.disable()
    # uvicorn's own access log records client addresses: always off; ours (ANTIFRAUD_ACCESS_LOG=true)
    # does not. Proxy headers are read by the app itself, only from ANTIFRAUD_TRUSTED_PROXIES.
    uvicorn.run(
        "bot.channels.web.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=log_config(settings),
        log_level=settings.log_level,
        access_log=False,
        proxy_headers=False,
        server_header=False,
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="antifraud", description="Recognise scam scripts and say what to do.")
    commands = parser.add_subparsers(dest="command", required=True)

    check = commands.add_parser("check", help="check one message (TEXT, or - for standard input)")
    check.add_argument("text")
    check.add_argument("--json", action="store_true", help="print the verdict as JSON")
    check.add_argument("--lang", help="reply language (default: the message's)")
    check.add_argument("--region", help="region for hotlines (default: the library's)")
    check.add_argument("--library", help="library folder (default: the bundled one)")
    check.set_defaults(handler=_check)

    validate = commands.add_parser("validate", help="check the knowledge files and list every problem")
    validate.add_argument("path", nargs="?", help="library folder (default: the bundled scripts_library)")
    validate.add_argument("--strict", action="store_true", help="fail on warnings too")
    validate.add_argument(
        "--pump-size",
        type=int,
        default=PUMP_SIZE,
        help=f"pump every regex with adversarial strings up to this many characters (default {PUMP_SIZE}; 0: skip)",
    )
    validate.set_defaults(handler=_validate)

    evaluate = commands.add_parser("eval", help="measure recall, false positives and type accuracy on a JSONL file")
    evaluate.add_argument("file")
    evaluate.add_argument("--json", action="store_true")
    evaluate.add_argument("--without-model", action="store_true", help="turn the learned layer off (to measure it)")
    evaluate.add_argument("--library", help="library folder (default: the bundled one)")
    evaluate.set_defaults(handler=_eval)

    trainer = commands.add_parser("train", help="fit the learned layer on the project's own corpus")
    trainer.add_argument(
        "corpus", nargs="*", default=["tests/corpus"], help="JSONL files or folders (default: tests/corpus)"
    )
    trainer.add_argument("--library", help="library folder (default: the bundled one)")
    trainer.add_argument("--no-report", action="store_true", help="skip the cross-validated report (faster)")
    only = trainer.add_mutually_exclusive_group()
    only.add_argument(
        "--report-only", action="store_true", help="train only the layer that tells reports about scams from scams"
    )
    only.add_argument(
        "--lines-only", action="store_true", help="train only the layer that names the line a message retells"
    )
    only.add_argument(
        "--keep-lines",
        action="store_true",
        help="train the scam and report layers and leave the line layer as it is (it is the slowest to train)",
    )
    trainer.add_argument(
        "--retellings",
        nargs="*",
        default=["tests/paraphrase_training"],
        help="retellings of lines and rebuttals for the line layer (default: tests/paraphrase_training)",
    )
    trainer.set_defaults(handler=_train)

    serve = commands.add_parser("serve", help="run the chat service")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument(
        "--workers", type=int, help="worker processes (default ANTIFRAUD_WORKERS or 1); more than 1 needs Redis"
    )
    serve.set_defaults(handler=_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from bot.library.loader import LibraryError  # after parsing: --help stays instant

    try:
        return int(args.handler(args))
    except LibraryError as exc:
        print(exc, file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader went away ("antifraud check ... | head"): not an error of ours. Python would
        # complain again flushing stdout at exit, so it is pointed at /dev/null first.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
