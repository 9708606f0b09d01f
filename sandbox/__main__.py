"""python -m sandbox serve|start|stop|status

serve  runs in the foreground (Ctrl-C or SIGTERM stops it);
start  runs `serve` in the background, waits until it answers, writes nothing else;
stop   stops the process named by the pidfile (never by name).
"""

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from .client import SandboxClient

DEFAULT_PORT = 4566
DEFAULT_PIDFILE = ".sandbox/sandbox.pid"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("serve", "start"):
        cmd = sub.add_parser(name)
        cmd.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port")
        cmd.add_argument("--profile", choices=("fast", "realistic", "realtime"), default="fast")
        cmd.add_argument("--pidfile", default=DEFAULT_PIDFILE if name == "start" else None)
        cmd.add_argument("--registry-port", type=int, default=0,
                         help="the registry's port (default: a free one); fixed, image references survive restarts")
        cmd.add_argument("--verbose", action="store_true")
    start = sub.choices["start"]
    start.add_argument("--log", default=None, help="log file (default: beside the pidfile)")
    start.add_argument("--timeout", type=float, default=20.0)
    for name in ("stop", "status"):
        sub.add_parser(name).add_argument("--pidfile", default=DEFAULT_PIDFILE)
    args = parser.parse_args(argv)
    return {"serve": serve, "start": start_background, "stop": stop, "status": status}[args.command](args)


def serve(args):
    from .net import PortBusy
    from .server import SandboxServer, configure_logging

    configure_logging(args.verbose)
    if args.registry_port:
        os.environ["SANDBOX_REGISTRY_PORT"] = str(args.registry_port)
    try:
        server = SandboxServer(port=args.port, profile=args.profile)
        server.start_simulation()
    except PortBusy as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return 2
    pidfile = Path(args.pidfile) if args.pidfile else None
    if pidfile:
        pidfile.parent.mkdir(parents=True, exist_ok=True)
        pidfile.write_text(f"{os.getpid()}\n")

    def on_term(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    print(f"sandbox ready on {server.endpoint} (profile {args.profile}, pid {os.getpid()})", flush=True)
    try:
        server.serve_forever()
    finally:
        if pidfile and pidfile.exists() and pidfile.read_text().strip() == str(os.getpid()):
            pidfile.unlink()
    return 0


def start_background(args):
    from .net import port_is_free

    pidfile = Path(args.pidfile)
    running = _read_pid(pidfile)
    if running:
        print(f"sandbox: already running (pid {running}, {pidfile}); `python -m sandbox stop` first", file=sys.stderr)
        return 2
    if args.port and not port_is_free(args.port):
        print(f"sandbox: port {args.port} on 127.0.0.1 is busy", file=sys.stderr)
        return 2
    pidfile.parent.mkdir(parents=True, exist_ok=True)
    log_path = Path(args.log) if args.log else pidfile.with_suffix(".log")
    ready_file = pidfile.with_suffix(".ready")
    ready_file.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "sandbox", "serve", "--port", str(args.port), "--profile", args.profile,
           "--pidfile", str(pidfile), "--registry-port", str(args.registry_port)]
    if args.verbose:
        cmd.append("--verbose")
    with open(log_path, "ab") as log, open(ready_file, "wb") as ready:
        proc = subprocess.Popen(cmd, stdout=ready, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True,
                                cwd=Path(__file__).resolve().parent.parent)
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            print(f"sandbox: exited with {proc.returncode} before it was ready; see {log_path}", file=sys.stderr)
            return proc.returncode or 1
        line = ready_file.read_text()
        if "ready on " in line:
            endpoint = line.split("ready on ", 1)[1].split()[0]
            if SandboxClient(endpoint).is_up():
                print(f"sandbox: {endpoint} (pid {proc.pid}, profile {args.profile}, log {log_path})")
                return 0
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGTERM)
    print(f"sandbox: not ready after {args.timeout}s; stopped pid {proc.pid}; see {log_path}", file=sys.stderr)
    return 1


def stop(args):
    pidfile = Path(args.pidfile)
    pid = _read_pid(pidfile)
    if not pid:
        print(f"sandbox: not running ({pidfile} names no live sandbox)")
        pidfile.unlink(missing_ok=True)
        return 0
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.05)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
    pidfile.unlink(missing_ok=True)
    print(f"sandbox: stopped pid {pid}")
    return 0


def status(args):
    pid = _read_pid(Path(args.pidfile))
    print(f"sandbox: running, pid {pid}" if pid else "sandbox: not running")
    return 0 if pid else 3


def _read_pid(pidfile: Path) -> int | None:
    """The pid in the pidfile if that process is alive and is a sandbox (pids get reused)."""
    try:
        pid = int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return None
    return pid if b"sandbox" in cmdline and _alive(pid) else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie still answers kill(0)
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return False


if __name__ == "__main__":
    sys.exit(main())
