"""bench.worker_crashes: `smslinks worker` killed with SIGKILL mid-send loses no text and sends none twice."""
