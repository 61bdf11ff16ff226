"""Locating, surrounding and reporting a Pulumi program run in-process."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from pulumi_vast.engine.program import (
    FAILURE_HEADING,
    EntryPoint,
    ProgramNotFound,
    describe_failure,
    program_surroundings,
    run_entry_point,
)


def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "project"
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_the_program_folder_is_the_entry_point_by_default(tmp_path: Path) -> None:
    root = _project(tmp_path, {"__main__.py": ""})

    entry = EntryPoint.resolve(str(root), str(root), ".")

    assert entry.path == root
    assert entry.directory == root


def test_main_naming_a_file_or_a_subfolder(tmp_path: Path) -> None:
    root = _project(tmp_path, {"infra.py": "", "app/__main__.py": ""})

    as_file = EntryPoint.resolve(str(root), str(root), "infra.py")
    as_folder = EntryPoint.resolve(str(root), str(root / "app"), ".")

    assert as_file.path == root / "infra.py"
    assert as_folder.path == root / "app"
    assert as_folder.root == root


def test_a_folder_without_main_py_names_the_fix(tmp_path: Path) -> None:
    root = _project(tmp_path, {"lib.py": ""})

    with pytest.raises(ProgramNotFound, match=r"no __main__\.py in .*`main:` in Pulumi\.yaml"):
        EntryPoint.resolve(str(root), str(root), ".")


def test_a_missing_file_is_reported(tmp_path: Path) -> None:
    root = _project(tmp_path, {"__main__.py": ""})

    with pytest.raises(ProgramNotFound, match="does not exist"):
        EntryPoint.resolve(str(root), str(root), "gone.py")


def test_surroundings_set_cwd_path_and_argv_and_restore_them(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        {
            "__main__.py": (
                "import os, sys, helper\n"
                "RESULT.update(cwd=os.getcwd(), argv=list(sys.argv), helper=helper.VALUE)\n"
            ),
            "helper.py": "VALUE = 'imported from the program folder'\n",
        },
    )
    elsewhere = tmp_path / "pwd"
    elsewhere.mkdir()
    entry = EntryPoint.resolve(str(root), str(root), ".")
    result: dict[str, object] = {}
    before = (os.getcwd(), list(sys.path), list(sys.argv))

    with program_surroundings(entry, pwd=str(elsewhere), args=["--flag"]):
        import runpy

        runpy.run_path(str(entry.path), init_globals={"RESULT": result}, run_name="__main__")

    assert result == {
        "cwd": str(elsewhere),
        "argv": [str(root), "--flag"],
        "helper": "imported from the program folder",
    }
    assert (os.getcwd(), sys.path, sys.argv) == before
    assert "helper" not in sys.modules  # a second run imports it afresh


def _failure_of(root: Path) -> BaseException:
    entry = EntryPoint.resolve(str(root), str(root), ".")
    try:
        with program_surroundings(entry, pwd=str(root), args=[]):
            run_entry_point(entry)
    except Exception as exc:
        return exc
    raise AssertionError("the program did not fail")


def test_a_failure_shows_the_programs_frames_only(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        {"__main__.py": "def check(x):\n    raise ValueError(f'bad {x}')\n\ncheck(41)\n"},
    )

    text = describe_failure(_failure_of(root), root)

    assert text.startswith(FAILURE_HEADING + "\nTraceback (most recent call last):\n")
    assert f'File "{root / "__main__.py"}", line 4, in <module>' in text
    assert "line 2, in check" in text
    assert text.endswith("ValueError: bad 41")
    assert "runpy" not in text
    assert "program.py" not in text


def test_a_failure_with_no_frame_of_the_program_shows_the_exception_only(tmp_path: Path) -> None:
    try:
        raise KeyError("raised inside a library")
    except KeyError as exc:
        text = describe_failure(exc, tmp_path / "unrelated-project")

    assert text == FAILURE_HEADING + "\nKeyError: 'raised inside a library'"


def test_chained_causes_are_trimmed_too(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        {
            "__main__.py": (
                "try:\n    int('x')\nexcept ValueError as e:\n"
                "    raise RuntimeError('config is broken') from e\n"
            )
        },
    )

    text = describe_failure(_failure_of(root), root)

    assert "ValueError: invalid literal for int()" in text
    assert "The above exception was the direct cause" in text
    assert text.endswith("RuntimeError: config is broken")
    assert "runpy" not in text
