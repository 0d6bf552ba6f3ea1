"""Holds the lock of a directory until stdin closes (for the lock tests)."""

from __future__ import annotations

import sys

from cje.io.lock import DirectoryLock


def main() -> None:
    with DirectoryLock(sys.argv[1]):
        print("locked", flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
