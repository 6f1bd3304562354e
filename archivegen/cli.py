"""Command-line entry point: one module per command in ``commands/``.

Each command module exposes ``add_parser(subparsers)`` and ``run(args)``
returning the exit status. Content errors become ``path:line: message``
lines and status 1; usage errors are argparse's status 2; a traceback is
never shown unless ``ARCHIVEGEN_DEBUG`` is set.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

from . import __version__
from .errors import BuildFailed, ContentError, WorkerDied

COMMANDS = ("init", "new", "import_", "build", "serve", "check", "mentions", "entities")
NAMES = {module.rstrip("_"): module for module in COMMANDS}  # command name -> its module's name


def _load(name: str):
    try:
        return importlib.import_module(f"archivegen.commands.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"archivegen.commands.{name}":
            return None
        raise


def _named_command(argv: list[str] | None) -> str | None:
    """The command ``argv`` names (its first word that is not an option), if it is one of ours."""
    for word in sys.argv[1:] if argv is None else argv:
        if word == "--":
            return None
        if not word.startswith("-"):
            return word if word in NAMES else None
    return None


def make_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser for every command, or only for the one ``argv`` names.

    Why. Each command's module imports what the command needs, and a build
    has no use for ``new``'s or ``import``'s: loading one command's module
    instead of all saves an incremental build a few hundredths of a second.
    Without a known command (``--help``, a typo) every command is there, so
    help lists them all and argparse names the valid ones.
    """
    parser = argparse.ArgumentParser(
        prog="archivegen",
        description="Build a static, searchable news archive from Markdown articles.",
    )
    parser.add_argument("--version", action="version", version=f"archivegen {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    only = _named_command(argv)
    for name in COMMANDS if only is None else (NAMES[only],):
        module = _load(name)
        if module is not None:
            p = module.add_parser(sub)
            p.set_defaults(_run=module.run)
    return parser


def add_root_option(parser: argparse.ArgumentParser) -> None:
    """``--root DIR``: the archive to work on (default: current folder)."""
    parser.add_argument("--root", type=Path, default=Path("."), metavar="DIR",
                        help="archive root holding content/ (default: current folder)")


def job_count(text: str) -> int:
    """``--jobs N``: 0 (every core) or more; anything else is a usage error."""
    try:
        n = int(text)
    except ValueError:
        n = -1
    if n < 0:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of worker processes (0 for every core, or more)")
    return n


def bad_base_url(command: str, value: str | None) -> bool:
    """Report an unusable ``--base-url`` as a usage error; True when it was one.

    Checked before anything is read, so a typo in the option is named as the
    option's, not blamed on archive.yaml."""
    if value is None:
        return False
    from .config import BASE_URL_HINT, base_url_problem

    why = base_url_problem(value)
    if why is None:
        return False
    print(f"archivegen {command}: --base-url: '{value}' {why}", file=sys.stderr)
    print(f"    hint: {BASE_URL_HINT.format(set='--base-url ')}", file=sys.stderr)
    return True


def print_problems(problems, stream=None) -> None:
    stream = stream or sys.stderr
    for p in problems:
        print(p.format(), file=stream)


def main(argv: list[str] | None = None) -> int:
    parser = make_parser(argv)
    args = parser.parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except BuildFailed as exc:
        print_problems(exc.listing())
        print(f"archivegen: {exc.counts()}; nothing was written", file=sys.stderr)
        return 1
    except ContentError as exc:
        print_problems([exc.problem])
        if getattr(args, "command", None) == "build":  # one problem stopped it: say so as for many
            print("archivegen: 1 error; nothing was written", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("archivegen: interrupted", file=sys.stderr)
        return 130
    except WorkerDied as exc:
        print(f"archivegen: error: {exc}; nothing was written", file=sys.stderr)
        print("  hint: build again; with --jobs 1 a build holds one process's memory, not one per core",
              file=sys.stderr)
        return 1
    except BrokenPipeError:
        # the reader went away (``archivegen mentions --json | head``): stop quietly, as
        # cat and grep do, with the status of a process ended by SIGPIPE; what is still
        # buffered goes nowhere, so flushing at exit cannot fail again
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 128 + 13
    except OSError as exc:
        import errno

        if exc.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS, errno.EIO):
            return _internal(exc)
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"archivegen: error: {exc.strerror}{where}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - last line of defence
        return _internal(exc)


def _internal(exc: Exception) -> int:
    if os.environ.get("ARCHIVEGEN_DEBUG"):
        raise exc
    print(f"archivegen: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
    print("  (set ARCHIVEGEN_DEBUG=1 for the traceback and please report it)", file=sys.stderr)
    return 3


def run() -> None:
    """The ``archivegen`` command: ``main`` then exit without tearing the heap down.

    Freeing a large build's objects one by one at interpreter exit took a
    tenth of a second of every incremental build; the operating system
    reclaims it all at once. Output streams are flushed first; nothing of
    ours runs at exit. Tests call ``main`` and are unaffected.
    """
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
