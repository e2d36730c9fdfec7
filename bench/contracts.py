"""Benchmark: checking recorded traffic against provider OpenAPI specs, recorder vs openapi-core 0.23.

Why this exists: `recorder verify-contracts` runs nightly over every cassette, and a checker
that takes seconds to start or milliseconds per interaction does not get run. Over two real
corpora, each with its provider's real spec, this prints in one run, beside plain openapi-core:

1. cold start: from nothing to "ready to validate". recorder: open_spec with an empty
   RECORDER_CACHE_DIR (hash, parse, prepare, write the cache), the SpecSet, and the first
   interaction checked: schemas compile lazily on first use, so a start without it would flatter
   recorder. openapi-core: json.load + OpenAPI.from_dict (which also validates the spec) and
   its first validate_request/validate_response. Target: recorder's cold start no slower.
2. warm start: the same in a new process whose cache a previous run filled (target < 0.3 s).
   openapi-core has no cache: its warm start is its cold start.
3. throughput: interactions (request + response) checked per second, steady state, over the
   corpus interactions recorder validates (routed to an operation, or reported as unknown; the
   damaged and foreign-host ones it skips are left out for both). Cassette loading is excluded
   on both sides. Targets: >= 5,000/s and >= 20x openapi-core.
4. one Stripe list of 100 charges validated as GET /v1/charges' 200 response (target < 5 ms).

Starts run in fresh subprocesses (`python bench/contracts.py --child ...`) that time themselves
with time.perf_counter after their imports; imports are reported apart, for both sides. The rest
runs in this process, each loop warmed once before the clock starts.

openapi-core raises on much of real traffic (DeserializeError on Stripe's deepObject forms,
security failures on scrubbed credentials, nullable-beside-anyOf rejections): every exception is
caught and the interaction still counts as processed. Its verdicts on Stripe forms are wrong; only
its speed is measured.

Run: python bench/contracts.py [--starts N] [--oc-starts N] [--seconds S] [--list-runs N]
Needs ../shared (specs and corpus): skips with a message when it is absent.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout, installed or not

SHARED = ROOT.parent / "shared"
SPECS = SHARED / "specs"
CORPUS = SHARED / "corpus" / "cassettes"
STRIPE_SPEC = SPECS / "stripe" / "spec3.api-2023-08-16.v524_2023-09-12.DERIVED-from-yaml.json"
STRIPE_FIXTURES = SPECS / "stripe" / "fixtures3.api-2023-08-16.v524_2023-09-12.json"
GITHUB_SPEC = SPECS / "github" / "api.github.com.json"

WARM_TARGET = 0.3          # seconds
RATE_TARGET = 5000.0       # interactions per second
RATIO_TARGET = 20.0        # x openapi-core
LIST_TARGET = 5.0          # ms
LIST_URL = "https://api.stripe.com/v1/charges"
_NOT_SENT = ("content-length", "content-encoding", "transfer-encoding")  # bodies are handed over decoded


@dataclass(frozen=True)
class Case:
    provider: str
    spec: Path
    corpus: Path


CASES = (Case("stripe", STRIPE_SPEC, CORPUS / "stripe"), Case("github", GITHUB_SPEC, CORPUS / "github"))


# -- openapi-core's view of a recorded exchange ---------------------------------------------------
def openapi_core_pair(method: str, url: str, request_headers: dict[str, str], request_body: bytes,
                      status: int, response_headers: dict[str, str], response_body: bytes) -> tuple[Any, Any]:
    """RequestsOpenAPIRequest/Response built the way a `requests` user hands them over."""
    import requests
    from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
    from requests.structures import CaseInsensitiveDict

    prepared = requests.Request(method, url, headers=request_headers, data=request_body or None).prepare()
    response = requests.Response()
    response.status_code = status
    response._content = response_body
    response.headers = CaseInsensitiveDict(response_headers)
    response.url = url
    response.request = prepared
    return RequestsOpenAPIRequest(prepared), RequestsOpenAPIResponse(response)


def plain_headers(items: list[tuple[str, list[str]]]) -> dict[str, str]:
    return {name: ", ".join(values) for name, values in items if name.lower() not in _NOT_SENT}


def openapi_core_validate(openapi: Any, request: Any, response: Any, errors: Counter[str] | None = None,
                          parts: tuple[str, ...] = ("request", "response")) -> None:
    for part, call in (("request", lambda: openapi.validate_request(request)),
                       ("response", lambda: openapi.validate_response(request, response))):
        if part not in parts:
            continue
        try:
            call()
        except Exception as exc:  # noqa: BLE001 - every failure still counts as processed
            if errors is not None:
                errors[f"{part} {type(exc).__name__}"] += 1


# -- fresh-process starts ----------------------------------------------------------------------------
def exchange_payload(exchange: Any) -> dict[str, Any]:
    """What a child needs to rebuild the first interaction without loading a cassette."""
    request, response = exchange.request, exchange.response
    return {"method": exchange.method, "url": exchange.url, "api_version": exchange.api_version,
            "request": {"uri": request.uri, "headers": list(request.headers.items()),
                        "raw": request.body.raw.hex(), "encoding": request.body.content_encoding,
                        "decoded": request.body.decoded.hex()},
            "response": {"status": response.status, "reason": response.reason,
                         "headers": list(response.headers.items()), "raw": response.body.raw.hex(),
                         "encoding": response.body.content_encoding, "decoded": response.body.decoded.hex()}}


def child_recorder(args: dict[str, Any]) -> dict[str, Any]:
    t0 = time.perf_counter()
    from recorder.cassette.model import Body, Headers, Request, Response
    from recorder.contracts.specset import build_spec_set
    t1 = time.perf_counter()
    x, req, res = args["exchange"], args["exchange"]["request"], args["exchange"]["response"]
    request = Request(x["method"], req["uri"], Headers(req["headers"]),
                      Body(bytes.fromhex(req["raw"]), req["encoding"]))
    response = Response(res["status"], res["reason"], Headers(res["headers"]),
                        Body(bytes.fromhex(res["raw"]), res["encoding"]))
    start = time.perf_counter()
    specs = build_spec_set([(args["provider"], args["spec"])])
    spec = specs.pick(args["provider"], x["api_version"])[0]
    checker = specs.checker(spec)
    opened = time.perf_counter()
    route = checker.route(x["method"], x["url"])
    op = route.operation
    assert op is not None, "the first interaction must route to an operation"
    checker.prime(op, (request.content_type or None) if request.body else None, response.status,
                  response.content_type or "application/json")  # as verify_exchanges primes
    problems = [*checker.check_request(op, route, request, x["url"]), *checker.check_response(op, response)]
    ready = time.perf_counter()
    return {"imports": t1 - t0, "ready": ready - start, "open": opened - start, "first": ready - opened,
            "problems": len(problems), "operation": op.op_id}


def child_openapi_core(args: dict[str, Any]) -> dict[str, Any]:
    t0 = time.perf_counter()
    import requests  # noqa: F401
    from openapi_core import OpenAPI
    from openapi_core.contrib.requests import RequestsOpenAPIRequest  # noqa: F401
    t1 = time.perf_counter()
    x, req, res = args["exchange"], args["exchange"]["request"], args["exchange"]["response"]
    request, response = openapi_core_pair(
        x["method"], x["url"], plain_headers(req["headers"]), bytes.fromhex(req["decoded"]),
        res["status"], plain_headers(res["headers"]), bytes.fromhex(res["decoded"]))
    start = time.perf_counter()
    with open(args["spec"], "rb") as handle:
        openapi = OpenAPI.from_dict(json.load(handle))
    opened = time.perf_counter()
    errors: Counter[str] = Counter()
    openapi_core_validate(openapi, request, response, errors)
    ready = time.perf_counter()
    return {"imports": t1 - t0, "ready": ready - start, "open": opened - start, "first": ready - opened,
            "problems": sum(errors.values()), "errors": sorted(errors)}


def run_child(kind: str, args_file: Path, cache: Path) -> dict[str, Any]:
    env = dict(os.environ, RECORDER_CACHE_DIR=str(cache))
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", kind, str(args_file)],
                          capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"FAIL: {kind} child exited {done.returncode}:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


@dataclass
class Starts:
    cold: list[dict[str, Any]]
    warm: list[dict[str, Any]]
    theirs: list[dict[str, Any]]


def measure_starts(case: Case, first: Any, work: Path, starts: int, oc_starts: int) -> Starts:
    args_file = work / f"{case.provider}-first.json"
    args_file.write_text(json.dumps({"provider": case.provider, "spec": str(case.spec),
                                     "exchange": exchange_payload(first)}))
    cold, warm = [], []
    for n in range(starts):
        cache = work / f"cache-{case.provider}-{n}"  # new and empty: a cold start
        cold.append(run_child("recorder", args_file, cache))
        warm.append(run_child("recorder", args_file, cache))  # the cache the cold run filled
    theirs = [run_child("openapi-core", args_file, work / "unused") for _ in range(oc_starts)]
    return Starts(cold, warm, theirs)


# -- in-process measures ------------------------------------------------------------------------------
def rate(loop: Callable[[], None], count: int, seconds: float, min_passes: int = 3) -> tuple[float, int]:
    """Interactions per second of the fastest whole pass of ``loop``, as timeit reports.

    One warm-up pass, then passes until ``seconds`` and ``min_passes`` are both reached; the
    fastest pass is the one least disturbed by other work on the machine, for both sides alike.
    """
    loop()
    passes, best, start = 0, float("inf"), time.perf_counter()
    while passes < min_passes or time.perf_counter() - start < seconds:
        began = time.perf_counter()
        loop()
        best = min(best, time.perf_counter() - began)
        passes += 1
    return count / best, passes


def median_ms(func: Callable[[], Any], runs: int) -> float:
    func()  # warm: compiles the schema on recorder's side
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1e3


@dataclass
class Throughput:
    count: int
    ours: float
    ours_passes: int
    full: float
    theirs: float
    theirs_passes: int
    findings: int
    errors: Counter[str]
    heaviest: str


def measure_throughput(case: Case, exchanges: list[Any], specs: Any, openapi: Any, seconds: float) -> Throughput:
    from recorder.contracts.verify import verify_exchanges

    def check(x: Any) -> None:
        checker = specs.checker(specs.pick(x.provider, x.api_version)[0])
        route = checker.route(x.method, x.url)
        if route.operation is None:
            return  # recorder's unknown-operation finding: routing was the whole check
        checker.check_request(route.operation, route, x.request, x.url)
        checker.check_response(route.operation, x.response)

    def ours() -> None:
        for x in exchanges:
            check(x)

    pairs = [openapi_core_pair(x.method, x.url, plain_headers(list(x.request.headers.items())),
                               x.request.body.decoded, x.response.status,
                               plain_headers(list(x.response.headers.items())), x.response.body.decoded)
             for x in exchanges]
    errors: Counter[str] = Counter()
    for request, response in pairs:  # the tally of what openapi-core raised (and its warm-up)
        openapi_core_validate(openapi, request, response, errors)

    def theirs() -> None:
        for request, response in pairs:
            openapi_core_validate(openapi, request, response)

    findings = len(verify_exchanges(exchanges, specs).findings)
    ours_rate, ours_passes = rate(ours, len(exchanges), seconds)
    full_rate, _ = rate(lambda: verify_exchanges(exchanges, specs), len(exchanges), seconds)
    theirs_rate, theirs_passes = rate(theirs, len(exchanges), seconds)
    # The slowest single interaction and its share of a pass: where a corpus' time goes.
    seconds_each = [(1 / rate(lambda x=x: check(x), 1, 0.02, min_passes=20)[0], n) for n, x in enumerate(exchanges)]
    slowest, n = max(seconds_each)
    x = exchanges[n]
    heaviest = (f"{x.method} {x.url.split('?')[0]} ({len(x.response.body.decoded) / 1e3:.0f} KB response) "
                f"{slowest * 1e3:.1f} ms = {100 * slowest * ours_rate / len(exchanges):.0f}% of recorder's pass")
    return Throughput(len(exchanges), ours_rate, ours_passes, full_rate, theirs_rate, theirs_passes, findings, errors,
                      heaviest)


def measure_list(specs: Any, openapi: Any, runs: int, oc_runs: int) -> tuple[float, float, int, str]:
    from recorder.cassette.model import Body, Headers, Response

    charge = json.loads(STRIPE_FIXTURES.read_text(encoding="utf-8"))["resources"]["charge"]
    body = json.dumps({"object": "list", "data": [charge] * 100, "has_more": False, "url": "/v1/charges"},
                      indent=2).encode("utf-8")
    checker = specs.checker(specs.pick("stripe", None)[0])
    route = checker.route("GET", LIST_URL)
    assert route.operation is not None
    response = Response(200, "OK", Headers([("Content-Type", ["application/json"])]), Body(body))
    problems = checker.check_response(route.operation, response)
    ours = median_ms(lambda: checker.check_response(route.operation, response), runs)

    request, their_response = openapi_core_pair("GET", LIST_URL, {}, b"", 200, {"Content-Type": "application/json"},
                                                body)
    errors: Counter[str] = Counter()
    openapi_core_validate(openapi, request, their_response, errors, parts=("response",))
    verdict = ", ".join(k.split(" ", 1)[1] for k in errors) or "valid"
    theirs = median_ms(lambda: openapi_core_validate(openapi, request, their_response, parts=("response",)), oc_runs)
    return ours, theirs, len(problems), verdict


# -- report ---------------------------------------------------------------------------------------------
Row = tuple[str, str, str, str, str, str]


def secs(value: float) -> str:
    return f"{value:.3f} s"


def times(ratio: float) -> str:
    return f"{ratio:.1f}x" if ratio < 10 else f"{ratio:.0f}x"


def ok(flag: bool | None) -> str:
    return "info" if flag is None else ("ok" if flag else "MISS")


def print_table(rows: list[Row]) -> None:
    header: Row = ("measure", "recorder", "openapi-core", "ratio", "target", "ok")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(6)]
    line = "  ".join("{:<%d}" % w for w in widths)
    print(line.format(*header))
    print(line.format(*("-" * w for w in widths)))
    for row in rows:
        print(line.format(*row))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=3, help="fresh-process cold/warm starts of recorder (median)")
    parser.add_argument("--oc-starts", type=int, default=1,
                        help="fresh-process starts of openapi-core (median; 2-25 s each)")
    parser.add_argument("--seconds", type=float, default=1.0, help="minimum timed seconds per throughput loop")
    parser.add_argument("--list-runs", type=int, default=200, help="recorder runs of the 100-charge list (median)")
    parser.add_argument("--oc-list-runs", type=int, default=15, help="openapi-core runs of the list (median)")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "ARGS_FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, args_file = args.child
        payload = json.loads(Path(args_file).read_text())
        print(json.dumps((child_recorder if kind == "recorder" else child_openapi_core)(payload)))
        return 0
    missing = [p for p in (STRIPE_SPEC, STRIPE_FIXTURES, GITHUB_SPEC, *(c.corpus for c in CASES)) if not p.exists()]
    if missing:
        print(f"skipped: {missing[0]} not found (needs ../shared beside the checkout)", file=sys.stderr)
        return 0

    rows: list[Row] = []
    notes: list[str] = []
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-contracts-") as folder:
        work = Path(folder)
        os.environ["RECORDER_CACHE_DIR"] = str(work / "in-process")  # never the user's own cache
        from openapi_core import OpenAPI

        from recorder.contracts.specset import build_spec_set
        from recorder.contracts.verify import collect_files, load_exchanges, verify_exchanges
        from recorder.providers.registry import load_registry

        registry = load_registry()
        results = []
        for case in CASES:
            cassettes, mocks = collect_files([case.corpus])
            loaded = load_exchanges(cassettes, mocks, registry)
            specs = build_spec_set([(case.provider, case.spec)])
            verify_exchanges(loaded, specs)  # compiles every schema the corpus needs, once
            # The interactions recorder validates (by its own rules), the same set for both sides.
            exchanges = [x for x in loaded if verify_exchanges([x], specs).summary.validated == 1]
            first = next(x for x in exchanges
                         if specs.checker(specs.pick(x.provider, x.api_version)[0]).route(x.method, x.url).operation)
            starts = measure_starts(case, first, work, args.starts, args.oc_starts)
            with case.spec.open("rb") as handle:
                openapi = OpenAPI.from_dict(json.load(handle))
            throughput = measure_throughput(case, exchanges, specs, openapi, args.seconds)
            listed = None
            if case.provider == "stripe":
                listed = measure_list(specs, openapi, args.list_runs, args.oc_list_runs)
            results.append((case, loaded, exchanges, first, starts, throughput, listed))

    imports_ours = statistics.median(r["imports"] for _, _, _, _, s, _, _ in results for r in s.cold)
    imports_theirs = statistics.median(r["imports"] for _, _, _, _, s, _, _ in results for r in s.theirs)
    rows.append(("imports (excluded from starts)", secs(imports_ours), secs(imports_theirs),
                 times(imports_theirs / imports_ours), "-", "info"))
    for case, loaded, exchanges, first, starts, tp, listed in results:
        p = case.provider
        cold = statistics.median(r["ready"] for r in starts.cold)
        warm = statistics.median(r["ready"] for r in starts.warm)
        theirs = statistics.median(r["ready"] for r in starts.theirs)
        good = cold <= theirs
        rows.append((f"{p}: cold start", secs(cold), secs(theirs), times(theirs / cold), "<= openapi-core", ok(good)))
        if not good:
            failures.append(f"{p} cold start")
        good = warm < WARM_TARGET
        rows.append((f"{p}: warm start", secs(warm), secs(theirs) + " (=cold)", times(theirs / warm),
                     f"< {WARM_TARGET:g} s", ok(good)))
        if not good:
            failures.append(f"{p} warm start")
        ratio = tp.ours / tp.theirs
        good = tp.ours >= RATE_TARGET and ratio >= RATIO_TARGET
        rows.append((f"{p}: interactions/s (req+resp)", f"{tp.ours:,.0f}/s", f"{tp.theirs:,.0f}/s", times(ratio),
                     f">= {RATE_TARGET:,.0f}/s, >= {RATIO_TARGET:g}x", ok(good)))
        if not good:
            failures.append(f"{p} throughput")
        rows.append((f"{p}: same, full verify_exchanges", f"{tp.full:,.0f}/s", f"{tp.theirs:,.0f}/s",
                     times(tp.full / tp.theirs), "-", "info"))
        if listed is not None:
            ours_ms, theirs_ms, problems, verdict = listed
            good = ours_ms < LIST_TARGET
            rows.append((f"{p}: list of 100 charges", f"{ours_ms:.2f} ms", f"{theirs_ms:.1f} ms",
                         times(theirs_ms / ours_ms), f"< {LIST_TARGET:g} ms", ok(good)))
            if not good:
                failures.append("100-charge list")
            notes.append(f"{p} list: median of {args.list_runs} (recorder) / {args.oc_list_runs} (openapi-core) runs, "
                         f"JSON parse included; recorder found {problems} problem(s), openapi-core said: {verdict}")
        def med(runs: list[dict[str, Any]], key: str) -> float:
            return statistics.median(r[key] for r in runs)

        notes.append(
            f"{p} starts (first interaction: {first.method} {first.url.split('?')[0]} -> "
            f"{starts.cold[0]['operation']}): recorder cold = spec {med(starts.cold, 'open'):.3f} s + first check "
            f"(schema compile) {med(starts.cold, 'first'):.3f} s; warm = spec {med(starts.warm, 'open'):.3f} s + "
            f"first check {med(starts.warm, 'first'):.3f} s (median of {len(starts.cold)}); openapi-core = "
            f"load+from_dict {med(starts.theirs, 'open'):.3f} s + first validation {med(starts.theirs, 'first'):.3f} s "
            f"(median of {len(starts.theirs)})")
        raised = ", ".join(f"{n} {k}" for k, n in tp.errors.most_common())
        notes.append(f"{p} throughput: {tp.count} of {len(loaded)} corpus interactions (the rest recorder skips as "
                     f"damaged or foreign-host), recorder {tp.ours_passes} passes, openapi-core {tp.theirs_passes}; "
                     f"recorder reported {tp.findings} findings; slowest: {tp.heaviest}; "
                     f"openapi-core raised per pass: {raised or 'nothing'}")

    print_table(rows)
    print()
    print("starts: fresh subprocess each, timed inside after imports (imports shown apart, median); recorder's")
    print("  'ready' = open_spec (empty vs filled RECORDER_CACHE_DIR) + SpecSet + first interaction checked, because")
    print("  schemas compile lazily; openapi-core's = json.load + OpenAPI.from_dict (it validates the spec) + first")
    print("  validate_request/validate_response. openapi-core has no cache: its warm start is its cold start.")
    print("throughput: fastest pass of several (>= 3, >= --seconds), cassettes loaded beforehand; recorder =")
    print("  route + check_request + check_response, as openapi-core's validate_request + validate_response;")
    print("  'full verify_exchanges' adds findings and the report (secret-scrubbed values). openapi-core's")
    print("  exceptions are caught and counted as processed; its security check fails first on scrubbed")
    print("  credentials, which skips its request body validation (flatters its speed).")
    for note in notes:
        print("- " + note)
    if failures:
        print("FAIL: below target: " + ", ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
