#!/usr/bin/env python3
"""Every file of the repository is named in a README: the README.md of its
own folder, or, for a folder without one, of the nearest folder above that
has one (tests/README.md covers tests/store/log/, README.md covers
scripts/). A name counts when it appears as a whole word (`log.h` is not
found in `time_log.h`). Dot files and dot folders (.gitignore, .ci/) are
not part of the map.

The files are what git tracks plus what it would add (untracked, not
ignored), so a new file fails the test until a README names it; without
git, a walk of the tree that skips build directories.
Exit status 1, listing every file no README names.
"""

import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def repo_files():
    try:
        out = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=ROOT, capture_output=True, check=True).stdout.decode()
        files = [f for f in out.split("\0") if f]
    except (OSError, subprocess.CalledProcessError):
        files = []
        for root, dirs, names in os.walk(ROOT):
            rel = os.path.relpath(root, ROOT)
            dirs[:] = [d for d in dirs
                       if not d.startswith((".", "build")) and d != "__pycache__"
                       and not (rel == "." and d in ("data", "mnt"))]
            files += [os.path.normpath(os.path.join(rel, n)) for n in names]
    # Deleted but not yet committed files are still listed by git.
    return sorted(f for f in files
                  if os.path.isfile(os.path.join(ROOT, f))
                  and not any(part.startswith(".") for part in f.split("/")))


def covering_readme(folder):
    """The README.md of `folder` or of the nearest folder above with one."""
    while True:
        if os.path.isfile(os.path.join(ROOT, folder, "README.md")):
            return os.path.join(folder, "README.md") if folder else "README.md"
        if not folder:
            return None
        folder = os.path.dirname(folder)


def names(text, name):
    return re.search(r"(?<![\w.-])" + re.escape(name) + r"(?![\w-])", text) is not None


def main():
    texts = {}
    missing = []
    files = repo_files()
    for path in files:
        folder, name = os.path.split(path)
        if name == "README.md":
            continue
        readme = covering_readme(folder)
        if readme not in texts:
            texts[readme] = open(os.path.join(ROOT, readme), encoding="utf-8").read()
        if not names(texts[readme], name):
            missing.append(f"{path}: not named in {readme}")
    for line in missing:
        print(line)
    print(f"readme_lists_files: {len(missing)} of {len(files)} files not named in their README"
          if missing else f"readme_lists_files: every one of {len(files)} files is named in its README")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
