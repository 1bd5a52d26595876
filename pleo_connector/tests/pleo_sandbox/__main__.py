"""Run the Pleo sandbox standalone: ``python -m pleo_sandbox --port 8765 --seed demo``.

Serves until Ctrl-C or SIGTERM. With ``--seed demo`` (the default) it creates the company
"Demo Pleo Company ApS" and a production key with DEFAULT_SCOPES, printed in the banner; pass
``--demo-key`` (or set ``PLEO_SANDBOX_DEMO_KEY``) to make that key reproducible.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading

from .demo_scenario import SCENARIOS
from .models import SandboxError
from .server import PleoSandbox
from .state import DEMO_COMPANY_NAME

BANNER_END = "Press Ctrl-C to stop."


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pleo_sandbox",
        description="A fake Pleo External API (production and staging) for demos and tests.",
    )
    parser.add_argument(
        "--port", type=int, default=8765, help="production port (default 8765; 0 picks a free one)"
    )
    parser.add_argument(
        "--staging-port", type=int, default=0, help="staging port (default 0: a free one)"
    )
    parser.add_argument(
        "--file-port", type=int, default=0, help="receipt file host port (default 0: a free one)"
    )
    parser.add_argument(
        "--file-public-url",
        default=None,
        help="base URL put in receipt links (default http://127.0.0.1:<file port>)",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1; 0.0.0.0 for Docker)",
    )
    parser.add_argument(
        "--seed",
        choices=("demo", "none"),
        default="demo",
        help="demo: a demo company and production key (default); none: empty",
    )
    parser.add_argument(
        "--demo-key",
        default=os.environ.get("PLEO_SANDBOX_DEMO_KEY"),
        help="value of the demo key (default: $PLEO_SANDBOX_DEMO_KEY or random)",
    )
    parser.add_argument(
        "--scenario",
        choices=sorted(SCENARIOS),
        default=None,
        help="also give the demo company a ready export job of this demo scenario "
        "(needs --seed demo)",
    )
    parser.add_argument(
        "--log-level", default="WARNING", help="log level of the sandbox logger (default WARNING)"
    )
    return parser


def banner(
    sandbox: PleoSandbox, demo: tuple[str, str] | None, scenario: tuple[str, str] | None = None
) -> str:
    """Return the text printed at start-up: URLs, and the demo company and key if seeded."""
    lines = [
        "Pleo sandbox is running",
        f"  production base URL: {sandbox.url('production')}",
        f"  staging base URL:    {sandbox.url('staging')}",
        f"  control API:         {sandbox.url('production')}/_sandbox/state",
        f"  receipt file host:   {sandbox.file_url()}",
    ]
    if sandbox.host != "127.0.0.1":
        lines.append(f"  listening on:        {sandbox.host}")
    if demo:
        lines += [
            f"  demo company:        {DEMO_COMPANY_NAME} ({demo[0]})",
            f"  demo key (production): {demo[1]}",
        ]
        if scenario:
            items = len(sandbox.export_job(scenario[1])["items"])
            lines.append(f"  ready export job:    {items} items ({scenario[0]}, {scenario[1]})")
    else:
        lines.append("  no seed data: create companies and keys with the control API")
    lines.append(BANNER_END)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, start the sandbox, print the banner and serve until stopped."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    sandbox = PleoSandbox(
        args.host, args.port, args.staging_port, args.file_port, args.file_public_url
    )
    if args.scenario and args.seed != "demo":
        print("pleo sandbox: --scenario needs --seed demo", file=sys.stderr)  # pylint: disable=print-used
        return 2
    scenario = None
    try:
        demo = sandbox.seed_demo(args.demo_key) if args.seed == "demo" else None
        sandbox.start()
        if args.scenario:  # after start: the receipts go on the running file host
            # The ready job waits for the newcomer, however long they take to connect (whether
            # Pleo expires pending jobs is [unknown]: the sandbox's switch takes the other reading).
            sandbox.behaviour.expire_pending_jobs = False
            scenario = (args.scenario, sandbox.add_scenario_job(args.scenario, demo[0]))
    except (SandboxError, OSError) as exc:
        print(f"pleo sandbox: {exc}", file=sys.stderr)  # pylint: disable=print-used
        return 2
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        print(banner(sandbox, demo, scenario), flush=True)  # pylint: disable=print-used
        while not stop.wait(0.5):
            pass
    finally:
        sandbox.stop()
    print("Pleo sandbox stopped.", flush=True)  # pylint: disable=print-used
    return 0


if __name__ == "__main__":
    sys.exit(main())
