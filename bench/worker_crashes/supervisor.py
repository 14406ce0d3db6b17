"""A supervisor for `smslinks worker`, as systemd or a container runtime would restart it, but quick:
it imports the worker once and forks each new worker process from itself, so a restart takes
milliseconds instead of the seconds a cold start spends importing.

Reads commands on stdin, one a line: "start" forks a worker running `run_worker()` (the code of
`smslinks worker`) and prints its pid; "stop" ends the running one with SIGTERM, prints its exit
status and quits. Killing workers (SIGKILL by pid) is the caller's business; the supervisor reaps them.
The workers' logs go to stderr.
"""

import os
import signal
import sys
import traceback

from smslinks.worker import run_worker


def _reap() -> None:
    """Collect killed workers, so none lingers as a zombie."""
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass


def _start() -> int:
    pid = os.fork()
    if pid == 0:
        os.dup2(2, 1)  # print and logging alike go to the log
        code = 1
        try:
            run_worker()
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    return pid


def main() -> None:
    worker = None
    for line in sys.stdin:
        command = line.strip()
        _reap()
        if command == "start":
            worker = _start()
            print(worker, flush=True)
        elif command == "stop":
            if worker is not None:
                os.kill(worker, signal.SIGTERM)
                _, status = os.waitpid(worker, 0)
                print(os.waitstatus_to_exitcode(status), flush=True)
            return


if __name__ == "__main__":
    main()
