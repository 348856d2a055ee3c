"""The verification matrix and the can-i-deploy decision built on it.

A row pairs one consumer version with one provider version through the pact
between them, and says whether that provider version verified that pact.
Deploying a service version to an environment is safe when every row that
joins it to what already runs there is a successful verification:

- as a consumer, its pacts verified by each provider version deployed there;
- as a provider, the pacts of each consumer version deployed there verified
  by it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SUCCESS = "success"
FAILED = "failed"
MISSING = "not verified"


@dataclass(frozen=True)
class MatrixRow:
    """One consumer version × provider version pair and its verification.

    Attributes:
        consumer: the consumer's name.
        consumer_version: the consumer version that published the pact.
        provider: the provider's name.
        provider_version: the provider version (None when none is deployed
            where it would need to be).
        pact_sha: the pact content's digest (or the broker's pact version).
        verification: ``success``, ``failed`` or ``not verified``.
        verified_at: when that verification was published (ISO 8601).
    """

    consumer: str
    consumer_version: str
    provider: str
    provider_version: str | None
    pact_sha: str = ""
    verification: str = MISSING
    verified_at: str = ""

    @property
    def ok(self) -> bool:
        """True when this pairing was verified successfully."""
        return self.verification == SUCCESS


@dataclass(frozen=True)
class Decision:
    """The answer to "can SERVICE at VERSION go to ENVIRONMENT?".

    Attributes:
        service: the service asked about.
        version: its version.
        environment: where it would be deployed.
        deployable: the answer.
        rows: the matrix rows that decided it.
        reasons: one line per reason (why not, or why yes).
    """

    service: str
    version: str
    environment: str
    deployable: bool
    rows: list[MatrixRow] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    def render(self) -> str:
        """The verdict line, the deciding rows as a table, and the reasons."""
        verdict = "yes" if self.deployable else "no"
        lines = [
            f"can {self.service}@{self.version} go to {self.environment}? {verdict}"
        ]
        if self.rows:
            lines.append("")
            lines.extend(_table(self.rows))
        if self.reasons:
            lines.append("")
            lines.extend(f"- {reason}" for reason in self.reasons)
        return "\n".join(lines)


def decide(
    service: str, version: str, environment: str, rows: list[MatrixRow]
) -> Decision:
    """Judge ``rows`` (already limited to what joins the service to the env)."""
    reasons = [_why_not(row) for row in rows if not row.ok]
    if not rows:
        reasons = [
            f"no pact joins {service}@{version} to anything deployed in {environment}"
        ]
    elif not reasons:
        reasons = [f"all {len(rows)} pact(s) verified"]
    deployable = all(row.ok for row in rows)
    return Decision(service, version, environment, deployable, rows, reasons)


def _why_not(row: MatrixRow) -> str:
    pair = f"{row.consumer}@{row.consumer_version} → {row.provider}"
    if row.provider_version is None:
        return (
            f"{pair}: no version of {row.provider} is recorded in this "
            f"environment — deploy {row.provider} first (and record it)"
        )
    if row.verification == FAILED:
        return (
            f"{pair}@{row.provider_version}: the verification failed — fix the "
            "provider or the pact, then verify again"
        )
    return (
        f"{pair}@{row.provider_version}: that provider version never verified "
        "this pact — run the provider's contract stage"
    )


def _table(rows: list[MatrixRow]) -> list[str]:
    head = ("CONSUMER", "C.VERSION", "PROVIDER", "P.VERSION", "VERIFIED", "AT")
    body = [
        (
            r.consumer,
            r.consumer_version,
            r.provider,
            r.provider_version or "-",
            r.verification,
            r.verified_at or "-",
        )
        for r in rows
    ]
    widths = [max(len(line[i]) for line in [head, *body]) for i in range(len(head))]
    return [
        "  ".join(
            cell.ljust(width) for cell, width in zip(line, widths, strict=True)
        ).rstrip()
        for line in [head, *body]
    ]
