"""B2B services: clients, monthly retainers and project invoices with payment terms, and when each client
actually pays (receivables ageing), shaped for QuickBooks Online customers, invoices and payments.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .behaviour import Behaviour, ServicesParams
from .calendar_features import DayFeatures
from .engine_demand import Demand
from .keyed_random import KeyedRandom, categorical_from_uniform, poisson_from_uniform

IntArray = npt.NDArray[np.int64]

NEW_CLIENT_SHARE = 0.35  # of project invoices
# payer behaviour: share of clients, then days paid relative to the due date (low, high), None = never pays
PAYER_TYPES: tuple[tuple[float, tuple[int, int] | None], ...] = (
    (0.30, (-20, -5)),
    (0.45, (-4, 6)),
    (0.21, (10, 45)),
    (0.04, None),
)


@dataclass
class Client:
    seq: int
    created_ordinal: int
    created_sod: int
    payer: int  # index into PAYER_TYPES
    retainer_fee: int = 0
    retainer_from: int | None = None  # ordinal
    retainer_until: int | None = None


@dataclass
class ServiceInvoice:
    seq: int
    client: int
    day: int
    ordinal: int
    sod: int
    item: str
    amount: int
    due_ordinal: int
    paid_ordinal: int  # -1: never paid
    paid_sod: int
    kind: str  # retainer | project


@dataclass
class ServicesResult:
    params: ServicesParams
    clients: list[Client]
    invoices: list[ServiceInvoice]
    revenue: IntArray  # invoiced per day
    invoice_count: IntArray


def simulate_services(
    behaviour: Behaviour,
    days: DayFeatures,
    demand: Demand,
    rng: KeyedRandom,
    start_ordinal: int,
    opened_ordinal: int,
    scale: float,
) -> ServicesResult:
    params = behaviour.services
    if params is None:
        raise ValueError("services engine needs ServicesParams")
    ordinals = days.ordinals
    n_days = days.n
    book = _ClientBook(params, rng, ordinals)
    book.initial_clients(start_ordinal, opened_ordinal, scale)
    items = params.project_items
    item_weights = np.array([it.weight for it in items])
    projects = poisson_from_uniform(rng.uniform("svc:projects", ordinals), demand.latent)
    billed_month: set[int] = set()
    for t in range(n_days):
        if not demand.is_open[t]:
            continue
        ordinal = int(ordinals[t])
        month_key = int(days.year[t]) * 12 + int(days.month[t])
        if month_key not in billed_month:
            # first business day of the month: retainers churn, new ones sign, all active ones are billed
            billed_month.add(month_key)
            book.bill_retainers(t, month_key, scale)
        for k in range(int(projects[t])):
            u_client, u_pick, u_item, u_amount, u_time = (
                rng.u("svc:project", ordinal, k, slot) for slot in range(5)
            )
            sod = int(9 * 3600 + u_time * 8 * 3600)
            if u_client < NEW_CLIENT_SHARE or not book.clients:
                client = book.new_client(ordinal, max(sod - 1800, 0))
            else:
                client = book.clients[int(u_pick * len(book.clients))]
            item = items[int(categorical_from_uniform(np.array([u_item]), item_weights)[0])]
            book.invoice(client, t, sod, item.name, _amount(u_amount, item.low, item.high), "project")
    return ServicesResult(params, book.clients, book.invoices, book.revenue, book.count)


class _ClientBook:
    """A service business's clients and invoices as they are simulated, with the daily totals."""

    def __init__(self, params: ServicesParams, rng: KeyedRandom, ordinals: IntArray) -> None:
        self.params = params
        self.rng = rng
        self.ordinals = ordinals
        self.clients: list[Client] = []
        self.invoices: list[ServiceInvoice] = []
        self.revenue = np.zeros(len(ordinals), dtype=np.int64)
        self.count = np.zeros(len(ordinals), dtype=np.int64)
        self._payer_weights = np.array([w for w, _ in PAYER_TYPES])

    def new_client(self, ordinal: int, sod: int) -> Client:
        seq = len(self.clients)
        payer = int(categorical_from_uniform(self.rng.uniform("svc:payer", seq), self._payer_weights)[0])
        client = Client(seq, ordinal, sod, payer)
        self.clients.append(client)
        return client

    def _retainer_fee(self, client: Client) -> int:
        params = self.params
        return _amount(self.rng.uniform("svc:fee", client.seq)[0], params.retainer_low, params.retainer_high)

    def initial_clients(self, start_ordinal: int, opened_ordinal: int, scale: float) -> None:
        """The clients won before the history starts; the first of them are on a retainer."""
        params, rng = self.params, self.rng
        n_initial = round(params.initial_clients * scale) if opened_ordinal < start_ordinal else 0
        span = max(start_ordinal - opened_ordinal, 1)
        for i in range(n_initial):
            created = opened_ordinal + int(rng.uniform("svc:initial", i, 0)[0] * span)
            self.new_client(
                min(created, start_ordinal - 1), int(9 * 3600 + rng.uniform("svc:initial", i, 1)[0] * 30000)
            )
        n_retainers = min(round(params.initial_retainers * scale), n_initial)
        for i in range(n_retainers):
            c = self.clients[i]
            c.retainer_fee = self._retainer_fee(c)
            c.retainer_from = start_ordinal

    def bill_retainers(self, t: int, month_key: int, scale: float) -> None:
        """A month's first business day: retainers churn, new ones sign, every active one is billed."""
        params, rng = self.params, self.rng
        ordinal = int(self.ordinals[t])
        for c in self.clients:
            on_retainer = c.retainer_fee and c.retainer_until is None and c.retainer_from is not None
            if on_retainer and c.retainer_from is not None and c.retainer_from < ordinal:
                churn_u = rng.uniform("svc:retainer-churn", c.seq, month_key)[0]
                if churn_u < params.retainer_churn_monthly:
                    c.retainer_until = ordinal
        mean_new = np.array([params.retainer_new_monthly * scale])
        n_new = int(poisson_from_uniform(rng.uniform("svc:retainer-new", month_key), mean_new)[0])
        for j in range(n_new):
            c = self.new_client(ordinal, 9 * 3600 + 600 * j)
            c.retainer_fee = self._retainer_fee(c)
            c.retainer_from = ordinal
        for c in self.clients:
            if c.retainer_fee and c.retainer_until is None and c.retainer_from is not None:
                self.invoice(
                    c, t, 8 * 3600 + 30 * c.seq % 3600, params.retainer_item, c.retainer_fee, "retainer"
                )

    def invoice(self, client: Client, t: int, sod: int, item: str, amount: int, kind: str) -> None:
        """An invoice due after the terms, paid when the client's kind of payer pays (or never)."""
        ordinal = int(self.ordinals[t])
        due = ordinal + self.params.terms_days
        seq = len(self.invoices)
        timing = PAYER_TYPES[client.payer][1]
        if timing is None:
            paid = -1
        else:
            lo, hi = timing
            paid = max(
                ordinal + 1,
                due + lo + int(self.rng.uniform("svc:pay", client.seq, ordinal, sod)[0] * (hi - lo + 1)),
            )
        self.invoices.append(
            ServiceInvoice(
                seq,
                client.seq,
                t,
                ordinal,
                sod,
                item,
                amount,
                due,
                paid,
                10 * 3600 + (seq * 977) % 25200,
                kind,
            )
        )
        self.revenue[t] += amount
        self.count[t] += 1


def _amount(u: float, low: int, high: int) -> int:
    """Log-uniform amount rounded to whole 5s of the major unit."""
    value = low * (high / low) ** u
    return round(value / 500.0) * 500
