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
    clients: list[Client] = []
    payer_weights = np.array([w for w, _ in PAYER_TYPES])

    def new_client(ordinal: int, sod: int) -> Client:
        seq = len(clients)
        payer = int(categorical_from_uniform(rng.uniform("svc:payer", seq), payer_weights)[0])
        client = Client(seq, ordinal, sod, payer)
        clients.append(client)
        return client

    n_initial = round(params.initial_clients * scale) if opened_ordinal < start_ordinal else 0
    span = max(start_ordinal - opened_ordinal, 1)
    for i in range(n_initial):
        created = opened_ordinal + int(rng.uniform("svc:initial", i, 0)[0] * span)
        new_client(
            min(created, start_ordinal - 1), int(9 * 3600 + rng.uniform("svc:initial", i, 1)[0] * 30000)
        )
    n_retainers = min(round(params.initial_retainers * scale), n_initial)
    for i in range(n_retainers):
        c = clients[i]
        c.retainer_fee = _amount(rng.uniform("svc:fee", c.seq)[0], params.retainer_low, params.retainer_high)
        c.retainer_from = start_ordinal

    items = params.project_items
    item_weights = np.array([it.weight for it in items])
    invoices: list[ServiceInvoice] = []
    revenue = np.zeros(n_days, dtype=np.int64)
    count = np.zeros(n_days, dtype=np.int64)
    projects = poisson_from_uniform(rng.uniform("svc:projects", ordinals), demand.latent)
    billed_month: set[int] = set()

    def invoice(client: Client, t: int, sod: int, item: str, amount: int, kind: str) -> None:
        ordinal = int(ordinals[t])
        due = ordinal + params.terms_days
        seq = len(invoices)
        timing = PAYER_TYPES[client.payer][1]
        if timing is None:
            paid = -1
        else:
            lo, hi = timing
            paid = max(
                ordinal + 1,
                due + lo + int(rng.uniform("svc:pay", client.seq, ordinal, sod)[0] * (hi - lo + 1)),
            )
        invoices.append(
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
        revenue[t] += amount
        count[t] += 1

    for t in range(n_days):
        if not demand.is_open[t]:
            continue
        ordinal = int(ordinals[t])
        month_key = int(days.year[t]) * 12 + int(days.month[t])
        if month_key not in billed_month:
            # first business day of the month: retainers churn, new ones sign, all active ones are billed
            billed_month.add(month_key)
            for c in clients:
                on_retainer = c.retainer_fee and c.retainer_until is None and c.retainer_from is not None
                if on_retainer and c.retainer_from is not None and c.retainer_from < ordinal:
                    churn_u = rng.uniform("svc:retainer-churn", c.seq, month_key)[0]
                    if churn_u < params.retainer_churn_monthly:
                        c.retainer_until = ordinal
            mean_new = np.array([params.retainer_new_monthly * scale])
            n_new = int(poisson_from_uniform(rng.uniform("svc:retainer-new", month_key), mean_new)[0])
            for j in range(n_new):
                c = new_client(ordinal, 9 * 3600 + 600 * j)
                c.retainer_fee = _amount(
                    rng.uniform("svc:fee", c.seq)[0], params.retainer_low, params.retainer_high
                )
                c.retainer_from = ordinal
            for c in clients:
                if c.retainer_fee and c.retainer_until is None and c.retainer_from is not None:
                    invoice(
                        c, t, 8 * 3600 + 30 * c.seq % 3600, params.retainer_item, c.retainer_fee, "retainer"
                    )
        for k in range(int(projects[t])):
            u_client, u_pick, u_item, u_amount, u_time = (
                rng.u("svc:project", ordinal, k, slot) for slot in range(5)
            )
            sod = int(9 * 3600 + u_time * 8 * 3600)
            if u_client < NEW_CLIENT_SHARE or not clients:
                client = new_client(ordinal, max(sod - 1800, 0))
            else:
                client = clients[int(u_pick * len(clients))]
            item = items[int(categorical_from_uniform(np.array([u_item]), item_weights)[0])]
            invoice(client, t, sod, item.name, _amount(u_amount, item.low, item.high), "project")
    return ServicesResult(params, clients, invoices, revenue, count)


def _amount(u: float, low: int, high: int) -> int:
    """Log-uniform amount rounded to whole 5s of the major unit."""
    value = low * (high / low) ** u
    return round(value / 500.0) * 500
