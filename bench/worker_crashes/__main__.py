"""Crashes lose nothing: texts sent by `smslinks worker` on PostgreSQL through the official Twilio SDK
to the sandbox Twilio, which answers slowly, while the worker is killed with SIGKILL at random
moments and restarted each time. At the end every text reached Twilio exactly once, and every row
says delivered with the sid Twilio gave that text.

    .venv/bin/python -m bench.worker_crashes [--texts 2000] [--kills 20] [--seed N]

A kill lands anywhere: before a claim commits, while requests are on their way to Twilio (recorded
there or not yet), between Twilio's answer and the commit of the outcome. Rows left "sending" are
reconciled by a later worker against Twilio's message list once their grace period is over.

Target (issue 16): 2,000 texts, 20 kills: 0 lost, 0 sent twice, every text's final state right.
tests/integration/test_worker_crashes.py runs the same code with a few hundred texts and a few kills.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

from bench.worker_crashes.harness import crash_stack, run

# A worker is killed this long (seconds) after it first talks to Twilio.
KILL_AFTER = (0.2, 2.5)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--texts", type=int, default=2000, choices=range(1, 10_001), metavar="TEXTS")
    parser.add_argument("--kills", type=int, default=20, help="SIGKILLs, each of a freshly started worker")
    parser.add_argument("--seed", type=int, default=None, help="for the kill moments (default: the clock)")
    return parser.parse_args()


def main() -> None:
    args = _arguments()
    seed = time.time_ns() if args.seed is None else args.seed
    with tempfile.TemporaryDirectory(prefix="bench-worker-crashes-") as work, crash_stack() as stack:
        log = Path(work) / "workers.log"
        outcome = run(
            stack,
            texts=args.texts,
            kills=args.kills,
            kill_after=KILL_AFTER,
            log_path=log,
            seed=seed,
            delivery_timeout=900,
        )
    print(outcome.summary())
    if outcome.worker_exit_code != 0:
        print(f"The last worker exited with {outcome.worker_exit_code}:\n{outcome.worker_log[-3000:]}")
    print("Verdict: every text sent once and delivered" if outcome.right else "Verdict: NOT MET")
    sys.exit(0 if outcome.right else 1)


if __name__ == "__main__":
    main()
