"""Lighthouse (npm) in its default mobile mode: simulated slow 4G (150 ms RTT, 1.6 Mbit/s) and 4x CPU.

Installed into .tools/node on first use (the registry is reachable; the version is pinned, the last
Lighthouse that runs on Node 20).
"""

import json
import os
import statistics
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from smslinks.config import PROJECT_ROOT
from smslinks.sandbox.runner import CHROMIUM, CHROMIUM_ARGS

VERSION = "12.8.2"
NODE_DIR = PROJECT_ROOT / ".tools" / "node"
BINARY = NODE_DIR / "node_modules" / ".bin" / "lighthouse"
CHROME_FLAGS = ["--headless=new", *CHROMIUM_ARGS]


@dataclass
class Report:
    score: float  # 0-100
    fcp_ms: float
    lcp_ms: float
    tbt_ms: float
    cls: float
    speed_index_ms: float
    bytes_total: int
    bytes_js: int
    lcp_element: str
    requests: list[dict] = field(default_factory=list)


def ensure_installed() -> Path:
    if not BINARY.exists():
        print(f"Installing lighthouse@{VERSION} into {NODE_DIR} ...", flush=True)
        subprocess.run(
            [
                "npm",
                "install",
                "--silent",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(NODE_DIR),
                f"lighthouse@{VERSION}",
            ],
            check=True,
        )
    return BINARY


def run(url: str, save_to: Path | None = None) -> Report:
    completed = subprocess.run(
        [
            str(ensure_installed()),
            url,
            "--only-categories=performance",
            "--output=json",
            "--output-path=stdout",
            "--quiet",
            f"--chrome-flags={' '.join(CHROME_FLAGS)}",
        ],
        env={**os.environ, "CHROME_PATH": CHROMIUM},
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    if save_to is not None:
        save_to.write_text(completed.stdout)
    return parse(json.loads(completed.stdout))


def parse(result: dict) -> Report:
    audits = result["audits"]
    summary = {item["resourceType"]: item for item in audits["resource-summary"]["details"]["items"]}
    lcp_items = (audits.get("largest-contentful-paint-element", {}).get("details") or {}).get("items") or []
    try:
        lcp_element = lcp_items[0]["items"][0]["node"]["snippet"]
    except (IndexError, KeyError):
        lcp_element = ""
    return Report(
        score=round((result["categories"]["performance"]["score"] or 0) * 100),
        fcp_ms=audits["first-contentful-paint"]["numericValue"],
        lcp_ms=audits["largest-contentful-paint"]["numericValue"],
        tbt_ms=audits["total-blocking-time"]["numericValue"],
        cls=audits["cumulative-layout-shift"]["numericValue"],
        speed_index_ms=audits["speed-index"]["numericValue"],
        bytes_total=summary["total"]["transferSize"],
        bytes_js=summary["script"]["transferSize"],
        lcp_element=lcp_element,
        requests=audits["network-requests"]["details"]["items"],
    )


def median(reports: list[Report], name: str) -> float:
    return statistics.median(getattr(report, name) for report in reports)
