"""Benchmark (not a test): decide 5,000 resources against three Consents with nested provisions.

    .venv/bin/python -m tests.consent.bench_decisions [--resources 5000] [--runs 7]

Times one payment request from compiling the Consents to the labelled copies of what is
released; the release of issue 5 (storage included) must stay under 2 s, so this should
be far below 1 s. One run also adds a ``code`` criterion, which makes the engine walk
every resource for its codings.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter
from typing import Any

from server.consent import ConsentDecider, labelled_copy
from server.consent import codes as c
from tests.consent.factories import (
    CLINIC,
    INSURER,
    RESEARCHER,
    make_claim,
    make_consent,
    make_coverage,
    make_note,
    make_provision,
    make_request,
)

INSTITUTIONAL = ("http://terminology.hl7.org/CodeSystem/claim-type", "institutional")


def three_consents(*, with_code: bool) -> list[dict[str, Any]]:
    """A general opt-out, a payer authorization and a Part 2 consent, two levels deep."""
    general = make_consent(
        "general",
        c.OPT_OUT,
        make_provision(
            children=[
                make_provision(
                    "deny",
                    purposes=[c.HRESCH],
                    children=[
                        make_provision(
                            "permit", actors=[RESEARCHER], data_period=("2024-01-01", None)
                        )
                    ],
                ),
                make_provision(
                    "deny",
                    classes=["DocumentReference"],
                    children=[make_provision("permit", purposes=[c.TREAT])],
                ),
            ]
        ),
    )
    payer_rules = [
        make_provision("deny", data_period=("2022-01-01", "2022-12-31")),
        make_provision("permit", labels=[c.ETH, c.PART2], purposes=[c.HPAYMT]),
    ]
    if with_code:
        payer_rules.append(make_provision("deny", codes=[INSTITUTIONAL]))
    payer = make_consent(
        "payer",
        c.OPT_IN,
        make_provision(
            period=("2025-01-01", "2025-12-31"),
            children=[
                make_provision(
                    "permit", actors=[INSURER], classes=["Claim", "Coverage"], children=payer_rules
                )
            ],
        ),
    )
    part2 = make_consent(
        "part2",
        c.OPT_OUT,
        make_provision(
            children=[
                make_provision(
                    "deny",
                    labels=[c.ETH],
                    children=[
                        make_provision(
                            "permit", actors=[CLINIC, INSURER], data_period=("2023-01-01", None)
                        )
                    ],
                )
            ]
        ),
    )
    return [general, payer, part2]


def chart(size: int) -> list[dict[str, Any]]:
    """Claims of 2022-2025 (one in 13 labelled Part 2), coverages and notes."""
    resources: list[dict[str, Any]] = []
    for i in range(size):
        year = 2022 + i % 4
        if i % 10 == 0:
            resources.append(make_coverage(f"cov-{i}"))
        elif i % 7 == 0:
            resources.append(make_note(f"note-{i}", f"{year}-03-01", [c.PSYTHPN] * (i % 2)))
        else:
            labels = [c.ETH, c.PART2] if i % 13 == 0 else []
            resources.append(make_claim(f"claim-{i}", f"{year}-06-{1 + i % 28:02d}", labels))
    return resources


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    resources = chart(args.resources)
    request = make_request(
        c.HPAYMT, INSURER, types=["Claim", "Coverage"], period=("2022-01-01", "2025-12-31")
    )
    for with_code in (False, True):
        consents = three_consents(with_code=with_code)
        seconds: list[float] = []
        for _ in range(args.runs):
            started = time.perf_counter()
            decider = ConsentDecider(request, consents)
            decisions = [decider.decide(resource) for resource in resources]
            released = [
                labelled_copy(resource, decision)
                for resource, decision in zip(resources, decisions, strict=True)
                if decision.permitted
            ]
            seconds.append(time.perf_counter() - started)
        outcomes = Counter(f"{d.basis}/{d.effect}" for d in decisions)
        print(
            f"{len(resources)} resources, 3 consents{' + code criterion' if with_code else ''}: "
            f"median {statistics.median(seconds) * 1000:.1f} ms, "
            f"best {min(seconds) * 1000:.1f} ms, released {len(released)}, {dict(outcomes)}"
        )


if __name__ == "__main__":
    main()
