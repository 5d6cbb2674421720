"""Command line: `antifraud check | validate | eval | serve`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.library.lint import library_warnings
from bot.library.loader import LibraryError, load_library


def _validate(args: argparse.Namespace) -> int:
    try:
        library = load_library(Path(args.path) if args.path else None)
    except LibraryError as exc:
        print(exc, file=sys.stderr)
        return 1
    warnings = library_warnings(library)
    for warning in warnings:
        print(f"warning: {warning}")
    print(f"ok: {len(library.types)} scam types, {len(library.faq)} FAQ entries, {len(warnings)} warning(s)")
    return 1 if warnings and args.strict else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="antifraud", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser("validate", help="check the knowledge files and list every problem")
    validate.add_argument("path", nargs="?", help="library folder (default: the bundled scripts_library)")
    validate.add_argument("--strict", action="store_true", help="fail on warnings too")
    validate.set_defaults(handler=_validate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
