"""Benchmark: loading a 3,000-interaction canonical cassette, recorder vs vcrpy.

Why this exists: replay loads every cassette in every test run, so load time is paid
thousands of times a day. The canonical format is designed for a fast line reader
(recorder/cassette/fastyaml.py); this checks it stays at least 5x faster than vcrpy reading
the same file with libyaml, and that both see the same number of interactions.

Run: python bench/load_cassette.py [--interactions N] [--repeat R]
Needs ../shared/corpus (real Stripe recordings are cycled to build the big cassette).
"""
from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, installed or not

from recorder.cassette import Body, Cassette, Interaction, dumps_cassette, load_cassette, write_cassette
from recorder.providers import build_registry

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
TARGET = 5.0
_ID = re.compile(rb'"id": "([a-z]+_)')


def stripe_pool() -> list[Interaction]:
    """Every Stripe interaction in the corpus, without the headers Stripe's profile calls volatile.

    Telemetry headers (client user agent, request ids) change on every run and are not part
    of the contract; dropping them is what a lean recording keeps, and it brings real
    interactions to the ~1.3 KB average of a 4 MB / 3,000-interaction cassette.
    """
    stripe = build_registry().get("stripe")
    pool: list[Interaction] = []
    for path in sorted((CORPUS / "cassettes" / "stripe").iterdir()):
        for interaction in load_cassette(path):
            if interaction.response.body.raw:
                for headers in (interaction.request.headers, interaction.response.headers):
                    for name in [n for n in headers if stripe.is_volatile(n)]:
                        headers.remove(name)
                pool.append(interaction)
    if not pool:
        sys.exit(f"no Stripe cassettes under {CORPUS}")
    return pool


def big_cassette(pool: list[Interaction], count: int, target_bytes: int) -> Cassette:
    """``count`` distinct interactions cycled from ``pool``, about ``target_bytes`` in total.

    Interactions are taken smallest-first while their average size fits the target, then each
    copy gets its own query string and object ids so no two interactions are the same.
    """
    budget = target_bytes / count
    sized = sorted((len(dumps_cassette(Cassette([i]))), n, i) for n, i in enumerate(pool))
    chosen, total = [], 0
    for size, _, interaction in sized:  # grow from the smallest while the average fits
        if chosen and (total + size) / (len(chosen) + 1) > budget:
            break
        chosen.append(interaction)
        total += size
    interactions = []
    for n in range(count):
        source = chosen[(n * 7) % len(chosen)]  # stride so neighbours differ
        uri = source.request.uri + ("&" if "?" in source.request.uri else "?") + f"bench={n}"
        body = _ID.sub(lambda m, n=n: b'"id": "' + m.group(1) + f"b{n}x".encode(), source.response.body.raw)
        interactions.append(Interaction(
            request=replace(source.request, uri=uri),
            response=replace(source.response, body=Body(body, source.response.body.content_encoding)),
            recorded_at=source.recorded_at, provider=source.provider, api_version=source.api_version,
        ))
    return Cassette(interactions=interactions)


def best_of(repeat: int, func) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", type=int, default=3000)
    parser.add_argument("--megabytes", type=float, default=4.0)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"skipped: {CORPUS} not found", file=sys.stderr)
        return 0

    import vcr.cassette

    cassette = big_cassette(stripe_pool(), args.interactions, int(args.megabytes * 1_000_000))
    with tempfile.TemporaryDirectory() as folder:
        path = write_cassette(cassette, Path(folder) / "big.yaml")
        size = path.stat().st_size
        ours_time, ours = best_of(args.repeat, lambda: load_cassette(path))
        theirs_time, theirs = best_of(
            args.repeat, lambda: vcr.cassette.Cassette.load(path=str(path), record_mode="none"))
    ours_count, theirs_count = len(ours), len(theirs.data)  # type: ignore[arg-type,union-attr]
    ratio = theirs_time / ours_time
    print(f"load {ours_count} interactions ({size / 1e6:.1f} MB): recorder {ours_time:.3f} s, "
          f"vcrpy {theirs_time:.3f} s, ratio {ratio:.1f}x (target >= {TARGET:g}x)")
    if ours_count != theirs_count or ours_count != args.interactions:
        print(f"FAIL: interaction counts differ: recorder {ours_count}, vcrpy {theirs_count}")
        return 1
    if ratio < TARGET:
        print("FAIL: below target")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
