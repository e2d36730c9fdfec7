"""Benchmark: replaying cassettes with `requests`, recorder vs vcrpy, in the same run.

Why this exists: replay answers every HTTP call of every test, and vcrpy scans the whole
cassette (every matcher against every recorded interaction) for each request, so its cost per
request grows with the cassette. recorder builds a match-key index once per session
(recorder/replay/matching.py), so its per-request time should stay flat with size. This prints:

1. per-request replay time of distinct GETs at 10, 300 and 3,000 interactions, recorder's
   flatness (3,000 vs 10; target <= 1.5x) and 1,000 replays from the 3,000 cassette against
   vcrpy (target >= 100x), timed in interleaved rounds, best of R each; vcrpy's share is timed
   on an evenly spread sample and extrapolated (its cost per request does not depend on what
   was played before: it scans the cassette up to the first match every time);
2. 300 JSON POSTs to one URL, told apart only by the body (target >= 50x);
3. recorder's cost per request over a bare `requests` call to a server on 127.0.0.1, and the
   cost of loopback calls passed through a replay session;
4. where a replayed call's time goes: requests' own floor (the same 1,000 GETs with urllib3's
   ``urlopen`` answered by a dict lookup from memory, an ideal replayer that does nothing else),
   with and without requests' per-call environment lookup (proxies, CA bundle), which recorder
   skips for calls that cannot leave the process and vcrpy pays; recorder with that lookup kept,
   and the ratios all of these would reach against this run's vcrpy.

Times are the request loop only (opening the cassette is reported apart), with
time.perf_counter, best of --repeat where a run is cheap. Every timed run starts after a full
garbage collection: a vcrpy session leaves ~123,000 objects in reference cycles (its
per-cassette stub classes hold its cassette), and collected inside whichever loop runs next they
billed vcrpy's clean-up to recorder's next round. Each replayer still pays for every collection
its own run triggers. Cassettes are built with recorder's
own model and writer (bench/_corpus.py) in a temporary folder; nothing touches the network.

Run: python bench/replay.py [--repeat R] [--vcrpy-sample N]
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import io
import random
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, installed or not
sys.path.insert(0, str(Path(__file__).resolve().parent))

import requests  # noqa: E402
import vcr  # noqa: E402

from urllib3 import HTTPHeaderDict, HTTPResponse  # noqa: E402
from urllib3.connectionpool import HTTPConnectionPool  # noqa: E402

import recorder  # noqa: E402
from recorder.cassette import load_cassette  # noqa: E402
from _corpus import (CHARGES, charge, charge_template, get_cassette, get_url,  # noqa: E402
                     post_body, post_cassette, write)

SIZES = (10, 300, 3000)
FLAT_TARGET = 1.5
GET_TARGET = 100.0
POST_TARGET = 50.0
REPLAYS = 1000           # the "1,000 replays" figure, taken from the 3,000 cassette
SMALL_SESSIONS = 50      # the 10-interaction cassette is replayed in full this many times per run
VCR_BODY_MATCH = ["method", "scheme", "host", "port", "path", "query", "body"]
JSON = {"Content-Type": "application/json"}

# One client for the whole run, as an SDK keeps one (stripe-python's global requests session).
CLIENT = requests.Session()
# Full garbage collections that fell inside a replayer's request loops, by opener: shown beside the
# 1,000-replay figure, since one (20-70 ms here) is 20-70 us per request of a 1,000-request loop.
FULL_COLLECTIONS: dict[str, list[int]] = {}


class KeepsEnvironment(requests.Session):
    """A Session that keeps requests' own environment lookup (taken before any replay session
    replaces the base class's), to show what recorder's skipping it is worth."""

    merge_environment_settings = requests.Session.merge_environment_settings


# -- the two replayers ---------------------------------------------------------------------------
def open_recorder(path: Path, match_on: Sequence[str] | None = None):  # type: ignore[no-untyped-def]
    return recorder.replay(path, allow_repeats=False)  # body is in recorder's key by default


def open_vcrpy(path: Path, match_on: Sequence[str] | None = None):  # type: ignore[no-untyped-def]
    if match_on is None:
        return vcr.use_cassette(str(path), record_mode="none")  # default matchers
    return vcr.use_cassette(str(path), record_mode="none", match_on=list(match_on))


Opener = Callable[..., object]
Call = Callable[[int], requests.Response]


def get(n: int) -> requests.Response:
    return CLIENT.get(get_url(n))


def post(n: int) -> requests.Response:
    return CLIENT.post(CHARGES, data=post_body(n), headers=JSON)


def replay_once(opener: Opener, path: Path, call: Call, numbers: Sequence[int],
                match_on: Sequence[str] | None = None) -> tuple[float, float]:
    """Open ``path``, make one request per number; (seconds opening, seconds in the request loop).

    Every response is checked (after the clock stops) to be the recording for its number.
    """
    markers = [f'"id": "ch_{n}"'.encode() for n in numbers]
    wrong = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # recorder's UnusedInteractionsWarning: we play a subset on purpose
        gc.collect()  # start clean: not the previous run's garbage (see the module docstring)
        start = time.perf_counter()
        with opener(path, match_on):  # type: ignore[attr-defined]
            opened = time.perf_counter()
            full_before = gc.get_stats()[2]["collections"]
            for n, marker in zip(numbers, markers):
                response = call(n)  # read, checked and dropped, as a test would
                if response.status_code != 200 or marker not in response.content:
                    wrong.append(n)
            done = time.perf_counter()
            FULL_COLLECTIONS.setdefault(opener.__name__, []).append(gc.get_stats()[2]["collections"] - full_before)
    if wrong:
        raise SystemExit(f"FAIL: {opener.__name__} answered requests {wrong[:5]} with the wrong recording")
    return opened - start, done - opened


def best_loop(repeat: int, opener: Opener, path: Path, call: Call, numbers: Sequence[int],
              sessions: int = 1, match_on: Sequence[str] | None = None) -> tuple[float, float]:
    """Best of ``repeat`` runs of ``sessions`` replay sessions: (request-loop seconds, opening seconds)."""
    best_loop_s = best_open_s = float("inf")
    for _ in range(repeat):
        total_open = total_loop = 0.0
        for _ in range(sessions):
            open_s, loop_s = replay_once(opener, path, call, numbers, match_on)
            total_open += open_s
            total_loop += loop_s
        best_loop_s = min(best_loop_s, total_loop)
        best_open_s = min(best_open_s, total_open)
    return best_loop_s, best_open_s


def spread(count: int, size: int, seed: int) -> list[int]:
    """``count`` distinct interaction numbers spread evenly over a cassette of ``size``, shuffled.

    vcrpy stops scanning at the first unplayed match, so its cost depends on where the request
    sits in the cassette; an even spread gives it its true average (half the cassette).
    """
    numbers = [round(i * size / count) for i in range(count)]
    random.Random(seed).shuffle(numbers)
    return numbers


def times(ratio: float) -> str:
    return f"{ratio:.1f}x" if ratio < 10 else f"{ratio:.0f}x"


def us(seconds: float, requests_made: int) -> float:
    return seconds / requests_made * 1e6


# -- the loopback server -------------------------------------------------------------------------
def start_server(template: dict) -> ThreadingHTTPServer:  # type: ignore[type-arg]
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a real API and requests' pool use it
        disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

        def do_GET(self) -> None:  # noqa: N802
            n = int(self.path.rsplit("ch_", 1)[1])
            body = charge(template, n)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Request-Id", f"req_{n:014d}")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def bare_loop(base: str, numbers: Sequence[int]) -> float:
    urls = [f"{base}/v1/charges/ch_{n}" for n in numbers]
    markers = [f'"id": "ch_{n}"'.encode() for n in numbers]
    wrong = []
    gc.collect()
    start = time.perf_counter()
    for n, url, marker in zip(numbers, urls, markers):
        response = CLIENT.get(url)
        if response.status_code != 200 or marker not in response.content:
            wrong.append(n)
    elapsed = time.perf_counter() - start
    if wrong:
        raise SystemExit(f"FAIL: loopback server answered requests {wrong[:5]} wrongly")
    return elapsed


def passthrough_loop(path: Path, base: str, numbers: Sequence[int]) -> float:
    """Loopback requests made inside a replay session (they pass through recorder's interception)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with recorder.replay(path, allow_repeats=False):
            return bare_loop(base, numbers)


# -- requests' floor: an ideal replayer ----------------------------------------------------------
@contextlib.contextmanager
def answered_from_memory(path: Path) -> Iterator[None]:
    """urllib3's ``urlopen`` answered by one dict lookup on the path: no matching, no logging, nothing.

    Measurement only (it patches urllib3 for the length of one loop): what is left is what requests
    and urllib3 cost per call whoever answers, so vcrpy's time over it bounds every replayer's ratio.
    The answers are bytes and tuples of strings, which the garbage collector stops tracking: 3,000
    prepared ``HTTPHeaderDict``s (~40,000 tracked objects) made a full collection fall due inside
    this loop, billing the floor for a collection no replayer needs to cause.
    """
    answers = {}
    for interaction in load_cassette(path).interactions:
        response = interaction.response
        pairs = tuple((name, value) for name, values in response.headers.items() for value in values)
        answers[interaction.request.uri.split("://", 1)[1].split("/", 1)[1]] = (response.body.raw, pairs)

    def urlopen(pool: HTTPConnectionPool, method: str, url: str, *args: Any, **kwargs: Any) -> HTTPResponse:
        body, pairs = answers[url[1:]]
        return HTTPResponse(body=io.BytesIO(body), headers=HTTPHeaderDict(pairs), status=200, version=11,
                            preload_content=kwargs.get("preload_content", True),
                            decode_content=kwargs.get("decode_content", True), request_method=method,
                            request_url=url, enforce_content_length=False)

    original = HTTPConnectionPool.urlopen
    HTTPConnectionPool.urlopen = urlopen  # type: ignore[method-assign]
    try:
        yield
    finally:
        HTTPConnectionPool.urlopen = original  # type: ignore[method-assign]


def open_floor(path: Path, match_on: Sequence[str] | None = None):  # type: ignore[no-untyped-def]
    return answered_from_memory(path)


# -- main ----------------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="best of R for the cheap (recorder, bare) runs")
    parser.add_argument("--vcrpy-sample", type=int, default=25,
                        help="vcrpy requests timed per round on the 3,000 cassette (extrapolated to 1,000)")
    args = parser.parse_args()
    sample = max(1, min(args.vcrpy_sample, REPLAYS))
    failures: list[str] = []
    template = charge_template()

    with tempfile.TemporaryDirectory() as folder:
        paths = {size: write(get_cassette(size, template), folder, f"get{size}") for size in SIZES}
        posts = write(post_cassette(300, template), folder, "post300")

        # warm both stacks (imports, vcrpy's patch building, requests' pool) before any clock runs
        replay_once(open_recorder, paths[10], get, [0, 1])
        replay_once(open_vcrpy, paths[10], get, [0, 1])

        # 1. distinct GETs at each size ---------------------------------------------------------
        ours: dict[int, float] = {}
        theirs: dict[int, float] = {}
        notes: dict[int, str] = {}

        small = spread(10, 10, seed=10)
        loop_s, _ = best_loop(args.repeat, open_recorder, paths[10], get, small, sessions=SMALL_SESSIONS)
        ours[10] = us(loop_s, 10 * SMALL_SESSIONS)
        loop_s, _ = best_loop(args.repeat, open_vcrpy, paths[10], get, small, sessions=SMALL_SESSIONS)
        theirs[10] = us(loop_s, 10 * SMALL_SESSIONS)
        notes[10] = f"{SMALL_SESSIONS} sessions x 10 requests, best of {args.repeat}"

        mid = spread(300, 300, seed=300)
        loop_s, _ = best_loop(args.repeat, open_recorder, paths[300], get, mid)
        ours[300] = us(loop_s, 300)
        loop_s, _ = best_loop(1, open_vcrpy, paths[300], get, mid)
        theirs[300] = us(loop_s, 300)
        notes[300] = f"300 requests; recorder best of {args.repeat}, vcrpy 1 run"

        big = spread(REPLAYS, 3000, seed=3000)  # every third interaction, shuffled
        vcr_sample = sorted(big)[:: REPLAYS // sample][:sample]  # evenly spread, like the 1,000
        random.Random(1).shuffle(vcr_sample)
        # Interleaved rounds, best of each side: the machine's speed drifts over a run by more
        # than the margin being measured, so both replayers are timed under the same conditions.
        ours_1000 = ours_open = vcr_loop = vcr_open = float("inf")
        FULL_COLLECTIONS.clear()
        for _ in range(args.repeat):
            open_s, loop_s = replay_once(open_recorder, paths[3000], get, big)
            ours_1000, ours_open = min(ours_1000, loop_s), min(ours_open, open_s)
            open_s, loop_s = replay_once(open_vcrpy, paths[3000], get, vcr_sample)
            vcr_loop, vcr_open = min(vcr_loop, loop_s), min(vcr_open, open_s)
        ours[3000] = us(ours_1000, REPLAYS)
        theirs[3000] = us(vcr_loop, len(vcr_sample))
        theirs_1000 = vcr_loop * REPLAYS / len(vcr_sample)
        notes[3000] = (f"{REPLAYS} requests; interleaved rounds, best of {args.repeat} each: recorder all of "
                       f"them, vcrpy {len(vcr_sample)} of them")

        for size in SIZES:
            print(f"replay distinct GETs (requests): size {size}: recorder {ours[size]:.0f} us/req, "
                  f"vcrpy {theirs[size]:.0f} us/req, ratio {times(theirs[size] / ours[size])}  ({notes[size]})")
        flat = ours[3000] / ours[10]
        print(f"flatness: recorder per-request at 3000 / at 10 = {flat:.2f}x (target <= {FLAT_TARGET:g}x)")
        if flat > FLAT_TARGET:
            failures.append("flatness")
        ratio = theirs_1000 / ours_1000
        extrapolated = (f"extrapolated linearly from {len(vcr_sample)}" if len(vcr_sample) < REPLAYS
                        else "measured")
        print(f"1,000 replays (1,000 distinct GETs from the 3,000-interaction cassette): "
              f"recorder {ours_1000:.2f} s, vcrpy {theirs_1000:.0f} s ({extrapolated}), "
              f"ratio {times(ratio)} (target >= {GET_TARGET:g}x); "
              f"opening the cassette: recorder {ours_open:.2f} s, vcrpy {vcr_open:.2f} s")
        print(f"full garbage collections inside each round's request loop: recorder "
              f"{FULL_COLLECTIONS.get('open_recorder')}, vcrpy {FULL_COLLECTIONS.get('open_vcrpy')} "
              f"(a loaded cassette's objects make one fall due; recorder's 3,000 hold ~18,000 tracked objects)")
        if ratio < GET_TARGET:
            failures.append("1,000 replays")

        # 2. JSON POSTs matched on body ----------------------------------------------------------
        bodies = spread(300, 300, seed=301)
        ours_post, _ = best_loop(args.repeat, open_recorder, posts, post, bodies)
        theirs_post, _ = best_loop(1, open_vcrpy, posts, post, bodies, match_on=VCR_BODY_MATCH)
        ratio = theirs_post / ours_post
        print(f"300 JSON POSTs matched on body: recorder {ours_post:.2f} s, vcrpy {theirs_post:.1f} s, "
              f"ratio {times(ratio)} (target >= {POST_TARGET:g}x)  "
              f"(vcrpy match_on={VCR_BODY_MATCH}; recorder best of {args.repeat}, vcrpy 1 run)")
        if ratio < POST_TARGET:
            failures.append("POSTs")

        # 3. overhead over a bare requests call to 127.0.0.1 ------------------------------------
        server = start_server(template)
        try:
            base = f"http://127.0.0.1:{server.server_address[1]}"
            bare_loop(base, [0, 1, 2])  # open the keep-alive connection
            # Interleaved, so a noisy neighbour slows all three alike; request loops only.
            bare_s = replay_s = through_s = float("inf")
            for _ in range(args.repeat):
                bare_s = min(bare_s, bare_loop(base, big))
                replay_s = min(replay_s, replay_once(open_recorder, paths[3000], get, big)[1])
                through_s = min(through_s, passthrough_loop(paths[3000], base, big))
        finally:
            server.shutdown()
            server.server_close()
        bare_us, replay_us, through_us = us(bare_s, REPLAYS), us(replay_s, REPLAYS), us(through_s, REPLAYS)
        print(f"overhead over bare requests to 127.0.0.1: {replay_us - bare_us:+.0f} us/request "
              f"(bare keep-alive GET {bare_us:.0f} us, recorder replay {replay_us:.0f} us; "
              f"{REPLAYS} distinct GETs each, best of {args.repeat})")
        print(f"loopback calls passed through inside a replay session: {through_us - bare_us:+.0f} us/request "
              f"({through_us:.0f} us vs bare {bare_us:.0f} us)")

        # 4. where a replayed requests call's time goes ----------------------------------------
        # Interleaved, as in 3. The floor is requests and urllib3 alone, urlopen answered from a
        # dict; with and without requests' per-call environment lookup, which recorder skips for
        # calls that cannot leave the process (recorder/record/requests_offline.py) and vcrpy pays.
        untrusting = requests.Session()
        untrusting.trust_env = False
        keeping = KeepsEnvironment()
        best = dict.fromkeys(("ours", "ours_env", "floor", "floor_noenv"), float("inf"))
        for _ in range(args.repeat):
            for name, opener, call in (("ours", open_recorder, get),
                                       ("ours_env", open_recorder, lambda n: keeping.get(get_url(n))),
                                       ("floor", open_floor, get),
                                       ("floor_noenv", open_floor, lambda n: untrusting.get(get_url(n)))):
                best[name] = min(best[name], replay_once(opener, paths[3000], call, big)[1])
        per = {name: us(seconds, REPLAYS) for name, seconds in best.items()}
        print(f"requests' own floor (urlopen answered by a dict lookup, nothing else): {per['floor']:.0f} us/request, "
              f"of which its environment lookup (proxies, CA bundle): {per['floor'] - per['floor_noenv']:.0f} us")
        print(f"recorder skips that lookup for calls that cannot leave the process: recorder {per['ours']:.0f} us/request "
              f"({per['ours'] - per['floor_noenv']:+.0f} us over requests' floor without the lookup); "
              f"with requests' own lookup kept: {per['ours_env']:.0f} us ({per['ours_env'] - per['floor']:+.0f} us over the floor)")
        print(f"1,000 replays against this vcrpy run, from this loop: recorder {times(theirs_1000 / best['ours'])}; "
              f"with the lookup kept {times(theirs_1000 / best['ours_env'])}; "
              f"an ideal replayer under requests: {times(theirs_1000 / best['floor'])} with the lookup, "
              f"{times(theirs_1000 / best['floor_noenv'])} without")

    if failures:
        print("FAIL: below target: " + ", ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
