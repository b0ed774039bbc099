"""Command line of the course tools.

    python -m tinyspore_grader build [CHAPTER ...]     solutions/NN_topic/NN_topic.py -> executed .ipynb
    python -m tinyspore_grader release [CHAPTER ...]   course/ from solutions/ (nbgrader generate_assignment)
    python -m tinyspore_grader check [PATH ...]        the learner's self-check: run notebooks, print a table
    python -m tinyspore_grader editions [--sync] [CHAPTER ...]   which Chinese cells are missing or stale
    python -m tinyspore_grader messages [--update]     which messages have no Chinese translation
    python -m tinyspore_grader distribute OUT          the learner distribution of a graded class (wheel + course/)
    python -m tinyspore_grader grade ASSIGNMENT [--workers N] [--scheduler tcp://HOST:PORT] [--root COURSE]
                                                       autograde every submission in parallel (nbgrader's gradebook)

`build` and `release` take `--lang zh` for the Chinese edition (solutions/zh/, course/zh/; see
tinyspore_grader.editions): the English .py's cells with the Chinese prose of NN_topic.zh.md.

CHAPTER is `01_tensors`, `01` or a path to the chapter folder; no CHAPTER means every chapter.
After editing a chapter's .py: `build` it, then `release` it (or `build --release`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tinyspore_grader", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p_build = sub.add_parser("build", help="execute the text sources into the instructor notebooks")
    p_build.add_argument("chapters", nargs="*")
    p_build.add_argument("--release", action="store_true", help="also regenerate the chapters in course/")
    p_release = sub.add_parser("release", help="regenerate course/ from solutions/ with nbgrader")
    p_release.add_argument("chapters", nargs="*")
    for p in (p_build, p_release):
        p.add_argument("--lang", choices=["en", "zh"], default="en", help="the edition (default: en)")
    p_editions = sub.add_parser("editions", help="list the Chinese cells that are missing or stale")
    p_editions.add_argument("chapters", nargs="*")
    p_editions.add_argument("--sync", action="store_true",
                            help="write new and changed English cells into the .zh.md files, marked TODO")
    p_check = sub.add_parser("check", help="run your notebooks and list each exercise's verdict")
    p_check.add_argument("paths", nargs="*", help="chapter folders, notebooks, or a course folder (default: "
                         "the current folder if it holds chapters, else course/)")
    p_messages = sub.add_parser("messages", help="list the messages without a Chinese translation")
    p_messages.add_argument("--update", action="store_true", help="rewrite the .po files with every current message")
    p_dist = sub.add_parser("distribute", help="write what learners of a graded class get: a wheel and course/")
    p_dist.add_argument("out", help="the folder to write (replaced if it exists)")
    p_grade = sub.add_parser("grade", help="autograde every submission of an assignment, in parallel")
    p_grade.add_argument("assignment")
    p_grade.add_argument("--workers", type=int, default=2, help="local grading processes (default 2)")
    p_grade.add_argument("--scheduler", help="a Dask distributed scheduler (tcp://host:8786): one task per notebook")
    p_grade.add_argument("--root", help="the nbgrader course folder (default: nbgrader_config.py's)")
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "grade":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")

    if args.command == "grade":
        from .grading.parallel import grade

        if args.workers < 1:
            parser.error("--workers must be at least 1")
        return grade(args.assignment, workers=args.workers, scheduler=args.scheduler, root=args.root, extra=extra)

    if args.command == "distribute":
        from . import distribution

        out = distribution.build(args.out)
        print(f"learner distribution in {out}: {', '.join(sorted(p.name for p in out.iterdir()))}")
        return 0
    if args.command == "messages":
        from .messages import main as messages_main

        return messages_main(args.update)

    from . import editions, notebooks

    if args.command == "editions":
        return _editions(notebooks.resolve(args.chapters), sync=args.sync)
    if args.command in ("build", "release"):
        chosen = notebooks.resolve(args.chapters)
        lang = args.lang
        where = editions.course_dir(lang).relative_to(notebooks.REPO)
        if args.command == "build":
            for chapter in chosen:
                print(f"building {editions.solutions_dir(lang).relative_to(notebooks.REPO)}/{chapter}/{chapter}.ipynb",
                      flush=True)
                notebooks.build(chapter) if lang == "en" else editions.build(chapter, lang)
        if args.command == "release" or args.release:
            if not args.chapters:  # every chapter in one nbgrader run (nbgrader starts slowly)
                print(f"releasing {', '.join(chosen)} into {where}/ (nbgrader generate_assignment)", flush=True)
                notebooks.generate_assignment("[0-9][0-9]_*", edition=lang)
            for chapter in chosen if args.chapters else ():
                print(f"releasing {where}/{chapter}/ (nbgrader generate_assignment)", flush=True)
                notebooks.generate_assignment(chapter, edition=lang)
        return 0
    from .selfcheck import main as check_main

    here = Path.cwd()  # a terminal opened in JupyterLab starts in the edition's course folder (course/ or course/zh/)
    default = here if any(here.glob("[0-9][0-9]_*/[0-9][0-9]_*.ipynb")) else notebooks.COURSE
    return check_main(args.paths or [str(default)])


def _editions(chapters: list[str], sync: bool) -> int:
    from . import editions

    left = 0
    for chapter in chapters:
        for edition in editions.EDITIONS:
            if edition == "en":
                continue
            if sync:
                print(f"wrote {editions.sync(chapter, edition)}")
            found = editions.problems(chapter, edition)
            left += len(found)
            print(f"{chapter} ({edition}): " + ("complete and current" if not found else f"{len(found)} to do"))
            for problem in found:
                print("  " + problem.replace("\n", "\n    "))
    return 1 if left else 0


if __name__ == "__main__":
    sys.exit(main())
