#!/usr/bin/python3
"""bench/fakebench.py - tests/integration/fakeaws.py, standalone, with Nagle's
algorithm off and two extra fields in each request record for the benchmark.

TCP_NODELAY: fakeaws writes a reply as two send()s, the headers and then the
body.  With Nagle on, the body waits for the client's ACK of the headers, and
the client delays that ACK by up to 40 ms (Linux delayed ACK), so from the
second request on a keep-alive connection every reply takes about 43 ms on
loopback whatever the agent does.  AWS does not answer like that; the
benchmark turns Nagle off on the fake's sockets so that the figures show the
agent, not this artefact.

Every record that GET /_fake/requests returns gains:

  peer_port   the client's TCP source port, so the benchmark can count the
              connections one agent cycle opened (keep-alive or not);
  service_s   seconds from the fake reading the request to it writing the
              reply (signature check, any injected "delay" fault, the answer),
              so the fake's own time can be told apart from the agent's.

Nothing else changes: same command line, same control API, same signature
checks.  Latency is injected with the fake's own fault API, e.g.
POST /_fake/fail {"op": "GetMetricStatistics", "failures": [["delay", 0.02]],
"always": true}.  tests/integration/ is not modified; this file patches the
imported module at run time.
"""

import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "integration"))

import fakeaws  # noqa: E402  (path set above)

_H = fakeaws._Handler
_orig_dispatch, _orig_classify, _orig_send = _H._dispatch, _H._classify, _H._send


def _dispatch(self):
    self._bench_t0 = time.perf_counter()
    return _orig_dispatch(self)


def _classify(self, req):
    req.peer_port = self.client_address[1]
    req.service_s = None
    req._bench_t0 = getattr(self, "_bench_t0", time.perf_counter())
    return _orig_classify(self, req)


def _send(self, status, body=b"", ctype="text/plain", headers=None, req=None):
    try:
        return _orig_send(self, status, body, ctype, headers, req)
    finally:
        t0 = getattr(req, "_bench_t0", None) if req is not None else None
        if t0 is not None:
            req.service_s = time.perf_counter() - t0


_orig_to_dict = fakeaws.Request.to_dict


def _to_dict(self):
    d = _orig_to_dict(self)
    d.pop("_bench_t0", None)
    return d


_H._dispatch, _H._classify, _H._send = _dispatch, _classify, _send
_H.disable_nagle_algorithm = True  # socketserver.StreamRequestHandler: TCP_NODELAY
fakeaws.Request.to_dict = _to_dict

if __name__ == "__main__":
    sys.exit(fakeaws.main())
