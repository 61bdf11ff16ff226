"""Running a Pulumi Python program in-process: where it is, its surroundings, its failures.

What the engine sends (`RunRequest.info`, v3.250.0): `rootDirectory` (where Pulumi.yaml
is), `programDirectory` (root, or root/`main:` when `main` names a folder) and
`entryPoint` (a file name in that folder, or "." for the folder itself, which then needs a
`__main__.py`). This is how the Go Python host reads them too.
"""

from __future__ import annotations

import os
import runpy
import sys
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pulumi_vast.engine.errors import EngineError

__all__ = [
    "EntryPoint",
    "ProgramNotFound",
    "describe_failure",
    "program_surroundings",
    "run_entry_point",
]

MAIN_FILE = "__main__.py"
FAILURE_HEADING = "Program failed with an unhandled exception:"


class ProgramNotFound(EngineError):
    """The request names no runnable Python program."""


@dataclass(frozen=True)
class EntryPoint:
    path: Path
    """What runpy runs: a `.py` file, or a folder holding `__main__.py`."""
    directory: Path
    """The program folder: first on sys.path while the program runs."""
    root: Path
    """The project folder (Pulumi.yaml): frames from files below it are the user's."""

    @classmethod
    def resolve(cls, root: str, program_directory: str, entry_point: str) -> EntryPoint:
        directory = Path(program_directory or root).resolve()
        root_path = Path(root).resolve() if root else directory
        entry = entry_point or "."
        path = directory if entry == "." else directory / entry
        if path.is_dir():
            if not (path / MAIN_FILE).is_file():
                raise ProgramNotFound(
                    f"no {MAIN_FILE} in {path}: add one, or point `main:` in Pulumi.yaml at "
                    "the program's file or folder"
                )
        elif not path.is_file():
            raise ProgramNotFound(
                f"the program {path} does not exist (check `main:` in Pulumi.yaml)"
            )
        return cls(path=path, directory=directory, root=root_path)


@contextmanager
def program_surroundings(entry: EntryPoint, *, pwd: str, args: Sequence[str]) -> Iterator[None]:
    """cwd, sys.path and sys.argv as the program expects them; everything restored after.

    Modules imported from the project folder are forgotten afterwards so that a second
    run in the same host imports them afresh, as a fresh interpreter would.
    """
    saved_cwd = os.getcwd()
    saved_path = list(sys.path)
    saved_argv = list(sys.argv)
    before = set(sys.modules)
    os.chdir(pwd or entry.directory)
    sys.path.insert(0, str(entry.directory))
    sys.argv = [str(entry.path), *args]
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        sys.path[:] = saved_path
        sys.argv = saved_argv
        for name in set(sys.modules) - before:
            if _is_user_file(getattr(sys.modules[name], "__file__", None), entry.root):
                del sys.modules[name]


def run_entry_point(entry: EntryPoint) -> None:
    runpy.run_path(str(entry.path), run_name="__main__")


def describe_failure(exc: BaseException, root: Path) -> str:
    """The message a user sees for an exception that escaped their program.

    The traceback starts at the first frame from a file in the project folder, so the
    host's and the SDK's machinery above it is not shown; with no frame of theirs at all
    (an error raised inside the SDK), only the exception line is shown.
    """
    summary = traceback.TracebackException.from_exception(exc)
    chain: list[traceback.TracebackException] = []
    link: traceback.TracebackException | None = summary
    while link is not None and len(chain) < _MAX_CHAIN:
        chain.append(link)
        link = link.__cause__ or (None if link.__suppress_context__ else link.__context__)
    for part in chain:
        part.stack = _from_first_user_frame(part.stack, root)
    return FAILURE_HEADING + "\n" + "".join(summary.format()).rstrip()


_MAX_CHAIN = 10


def _from_first_user_frame(stack: traceback.StackSummary, root: Path) -> traceback.StackSummary:
    frames = list(stack)
    for index, frame in enumerate(frames):
        if _is_user_file(frame.filename, root):
            return traceback.StackSummary.from_list(frames[index:])
    return traceback.StackSummary.from_list([])


# Never the user's, even when the project folder contains them (a venv in the project,
# or this repository's own dev stack): the interpreter, its packages, and pulumi_vast.
_LIBRARY_ROOTS = tuple(
    {
        Path(sys.prefix).resolve(),
        Path(sys.base_prefix).resolve(),
        Path(__file__).resolve().parents[1],
    }
)


def _is_user_file(filename: str | None, root: Path) -> bool:
    if not filename or filename.startswith("<"):
        return False
    try:
        path = Path(filename).resolve()
    except (OSError, ValueError):
        return False
    return path.is_relative_to(root) and not any(path.is_relative_to(lib) for lib in _LIBRARY_ROOTS)
