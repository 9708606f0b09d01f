"""Serve the sandbox on 127.0.0.1: moto's app, wrapped by SandboxApp, in a threaded server."""

import logging

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

from .app import SandboxApp
from .core import Sandbox
from .net import HOST, PortBusy, port_is_free


class QuietHandler(MotoRequestHandler):
    def log_request(self, *args, **kwargs):  # one line per AWS call drowns the useful log
        pass


class SandboxServer:
    """The moto server, in this process, with the sandbox's middleware and simulation loop."""

    def __init__(self, port: int = 4566, profile: str = "fast"):
        if port and not port_is_free(port):
            raise PortBusy(f"port {port} on {HOST} is busy: is a sandbox already running? (make sandbox-stop)")
        self.sandbox = Sandbox(profile=profile, host=HOST, port=port)
        moto_app = DomainDispatcherApplication(create_backend_app)
        self._server = make_server(HOST, port, SandboxApp(moto_app, self.sandbox), threaded=True,
                                   request_handler=QuietHandler)
        self.sandbox.port = self._server.server_address[1]

    @property
    def endpoint(self) -> str:
        return self.sandbox.endpoint

    def start_simulation(self):
        """Start the areas' processes (the registry) and the tick loop; may raise PortBusy."""
        self.sandbox.start()

    def serve_forever(self):
        try:
            self._server.serve_forever()
        finally:
            self.sandbox.stop()

    def shutdown(self):
        self._server.shutdown()


def configure_logging(verbose: bool = False):
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
