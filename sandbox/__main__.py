"""``python -m sandbox --port 8070 [--state FILE] [--seed FILE]``, from the repository root."""

import argparse
import sys

from .server import SandboxServer
from .state import EXAMPLE_SEED, State, read_seed


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m sandbox", description="CodaBox sandbox (MyCodaBox + API v2) on 127.0.0.1."
    )
    parser.add_argument("--port", type=int, default=8070, help="0 picks a free port")
    parser.add_argument(
        "--state", metavar="FILE", help="save the state there after each change; load it at start"
    )
    parser.add_argument(
        "--seed",
        metavar="FILE",
        default=EXAMPLE_SEED,
        help="seed JSON, used when there is no state file yet (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    try:
        state = State(read_seed(args.seed), path=args.state)
    except (OSError, ValueError) as exc:
        parser.exit(2, f"sandbox: cannot load the seed or the state: {exc}\n")
    try:
        server = SandboxServer(state, args.port)
    except OSError as exc:
        parser.exit(1, f"sandbox: cannot listen on 127.0.0.1:{args.port}: {exc.strerror}\n")
    sys.stdout.write(f"CodaBox sandbox on {server.url} - software id {state.software_id}\n")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
