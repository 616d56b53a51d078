"""What redaction adds to a chat's work, as ratios to the work it sits beside.

Every observation's outputs are redacted before the model or a page sees them; a chat entry
is saved as JSON right after. The ratio compares redacting an output with encoding it as
JSON (what saving already costs), for a typical output, a megabyte of printed text and a
plot, with the API key only (the default) and with two ``redact_patterns`` added. Streamed
replies are compared with the deltas' own handling. Lower is better; the key-only ratios
should stay well under 1.

    python benchmarks/redaction.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from jupyter_codeact.core.redact import Redactor, StreamRedactor

KEY = "sk-proj-" + "x7Yq" * 10


def outputs() -> dict[str, list[dict[str, Any]]]:
    line = "epoch 12/50 - loss 0.4312 - accuracy 0.8123 - val_loss 0.4571\n"
    return {
        "typical": [{"output_type": "stream", "name": "stdout", "text": line * 20}],
        "1 MB text": [{"output_type": "stream", "name": "stdout", "text": line * 16_000}],
        "plot": [
            {
                "output_type": "display_data",
                "data": {
                    "image/png": base64.b64encode(os.urandom(600_000)).decode(),
                    "text/plain": "<Figure size 640x480 with 1 Axes>",
                },
                "metadata": {},
            }
        ],
    }


def median_seconds(work: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    rounds = parser.parse_args().rounds
    key_only = Redactor(secrets=[KEY])
    patterns = Redactor(secrets=[KEY], patterns=[r"ghp_[A-Za-z0-9]{36}", r"xox[bp]-[\w-]+"])
    print(f"{'output':<12}{'key only / json':>18}{'+ 2 patterns / json':>22}")
    for name, value in outputs().items():
        encode = median_seconds(lambda value=value: json.dumps(value), rounds)
        plain = median_seconds(lambda value=value: key_only.redact_value(value), rounds)
        rich = median_seconds(lambda value=value: patterns.redact_value(value), rounds)
        print(f"{name:<12}{plain / encode:>18.2f}{rich / encode:>22.2f}")
    reply = "Let me compute the next value of the series, then print it. " * 40
    pieces = [reply[i : i + 4] for i in range(0, len(reply), 4)]

    def stream(redactor: Redactor) -> None:
        shown = StreamRedactor(redactor)
        for piece in pieces:
            shown.feed(piece)
        shown.flush()

    baseline = median_seconds(
        lambda: [json.dumps({"type": "delta", "text": p}) for p in pieces], rounds
    )
    print(
        f"streamed reply ({len(pieces)} deltas): key only / encoding the deltas "
        f"{median_seconds(lambda: stream(key_only), rounds) / baseline:.2f}, "
        f"+ 2 patterns {median_seconds(lambda: stream(patterns), rounds) / baseline:.2f}"
    )


if __name__ == "__main__":
    main()
