"""Command line of the course tools.

    python -m tinyspore_grader build [CHAPTER ...]     solutions/NN_topic/NN_topic.py -> executed .ipynb
    python -m tinyspore_grader release [CHAPTER ...]   course/ from solutions/ (nbgrader generate_assignment)
    python -m tinyspore_grader check [PATH ...]        the learner's self-check: run notebooks, print a table

CHAPTER is `01_tensors`, `01` or a path to the chapter folder; no CHAPTER means every chapter.
After editing a chapter's .py: `build` it, then `release` it (or `build --release`).
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tinyspore_grader", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p_build = sub.add_parser("build", help="execute the text sources into the instructor notebooks")
    p_build.add_argument("chapters", nargs="*")
    p_build.add_argument("--release", action="store_true", help="also regenerate the chapters in course/")
    p_release = sub.add_parser("release", help="regenerate course/ from solutions/ with nbgrader")
    p_release.add_argument("chapters", nargs="*")
    p_check = sub.add_parser("check", help="run your notebooks and list each exercise's verdict")
    p_check.add_argument("paths", nargs="*", help="chapter folders, notebooks, or a course folder (default: course/)")
    args = parser.parse_args(argv)

    from . import notebooks

    if args.command in ("build", "release"):
        chosen = notebooks.resolve(args.chapters)
        if args.command == "build":
            for chapter in chosen:
                print(f"building solutions/{chapter}/{chapter}.ipynb", flush=True)
                notebooks.build(chapter)
        if args.command == "release" or args.release:
            if not args.chapters:  # every chapter in one nbgrader run (nbgrader starts slowly)
                print(f"releasing {', '.join(chosen)} into course/ (nbgrader generate_assignment)", flush=True)
                notebooks.generate_assignment("[0-9][0-9]_*")
            for chapter in chosen if args.chapters else ():
                print(f"releasing course/{chapter}/ (nbgrader generate_assignment)", flush=True)
                notebooks.generate_assignment(chapter)
        return 0
    from .selfcheck import main as check_main

    return check_main(args.paths or [str(notebooks.COURSE)])


if __name__ == "__main__":
    sys.exit(main())
