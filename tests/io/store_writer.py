"""A resumable writer for the crash tests: appends ids p0000..p{n-1} that the
store does not hold yet, printing each id once ``append`` has returned."""

from __future__ import annotations

import sys
import time

from cje.io.store import JsonlStore


def main() -> None:
    path, count, batch_size, pause = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    with JsonlStore(path, key="prompt_id", batch_size=batch_size) as store:
        for i in range(count):
            row_id = f"p{i:04d}"
            if row_id in store:
                continue
            store.append([{"prompt_id": row_id, "response": "x" * 500, "n": i}])
            print(row_id, flush=True)
            time.sleep(pause)


if __name__ == "__main__":
    main()
