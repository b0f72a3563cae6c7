"""The books: bills and their payments (payables), card and bank purchases (expenses), and for service
businesses invoices and customer payments (receivables), as QuickBooks Online would hold them.

The amounts tie back to the rest of the world: supplier bills follow last week's sales, inventory bills
follow the purchase orders of the stock engine, payroll follows the timecards, ad charges follow the ad
spend. A payment exists only once its date has come, so an open bill or invoice is settled in a later run.
"""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import numpy.typing as npt

from .behaviour import Behaviour, ExpenseParams, Product
from .calendar_features import DayFeatures
from .engine_demand import ChannelSpend
from .engine_sales import PurchaseOrder
from .engine_services import ServicesResult
from .keyed_random import KeyedRandom, poisson_from_uniform

IntArray = npt.NDArray[np.int64]

AD_VENDORS = {
    "google_ads": "Google Ads",
    "meta_ads": "Meta Platforms, Inc.",
    "tiktok_ads": "TikTok for Business",
    "linkedin_ads": "LinkedIn Ads",
}
PAYROLL_VENDOR = "Gusto Payroll"
EMPLOYER_TAX_RATE = 0.0765


@dataclass
class QboLine:
    description: str
    amount: int
    account: str  # expense account, or the service item for invoices
    quantity: float = 1.0
    unit_price: int = 0


@dataclass
class QboDoc:
    kind: str  # Invoice | Payment | Bill | BillPayment | Purchase
    ordinal: int  # TxnDate
    sod: int  # time of creation on that date
    amount: int
    party: str
    party_kind: str  # Vendor | Customer
    lines: list[QboLine]
    due_ordinal: int | None = None
    payment_type: str | None = None  # Purchase / BillPayment: Cash, Check, CreditCard
    settles: int | None = None  # payment: index of the bill or invoice it pays
    settled_by: int | None = None  # bill or invoice: index of its payment (only once it happened)
    memo: str | None = None
    doc_number: str | None = None


@dataclass
class Party:
    name: str
    kind: str  # Vendor | Customer
    created_ordinal: int
    created_sod: int
    email: str | None = None
    terms_days: int | None = None


@dataclass
class BooksResult:
    docs: list[QboDoc] = field(default_factory=list)
    vendors: dict[str, Party] = field(default_factory=dict)
    customers: dict[str, Party] = field(default_factory=dict)


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


@dataclass
class _Ledger:
    """The books being written, and how a bill, its payment or a purchase is entered into them."""

    books: BooksResult
    rng: KeyedRandom
    vendor_since: int  # vendors exist from this ordinal on
    last: int  # last simulated ordinal: no payment after it

    def vendor(self, name: str) -> str:
        if name not in self.books.vendors:
            index = len(self.books.vendors)
            self.books.vendors[name] = Party(
                name, "Vendor", self.vendor_since + index % 30, 9 * 3600 + 137 * index
            )
        return name

    def add(self, doc: QboDoc) -> int:
        self.books.docs.append(doc)
        return len(self.books.docs) - 1

    def bill(
        self, ordinal: int, sod: int, party: str, lines: list[QboLine], terms: int, memo: str | None = None
    ) -> None:
        """A bill, and its payment: mostly a few days before it is due, a quarter of them late."""
        amount = sum(line.amount for line in lines)
        if amount <= 0:
            return
        index = self.add(
            QboDoc(
                "Bill",
                ordinal,
                sod,
                amount,
                self.vendor(party),
                "Vendor",
                lines,
                due_ordinal=ordinal + terms,
                memo=memo,
            )
        )
        rng = self.rng
        u_late, u_days = rng.u("books:bill-pay", ordinal, sod, 0), rng.u("books:bill-pay", ordinal, sod, 1)
        due = ordinal + terms
        pay = due - int(u_days * 5) if u_late < 0.75 else due + 1 + int(u_days * 25)
        pay = max(pay, ordinal)
        if pay <= self.last:
            payment = self.add(
                QboDoc(
                    "BillPayment",
                    pay,
                    11 * 3600 + (ordinal * 53 + sod) % 3600,
                    amount,
                    party,
                    "Vendor",
                    [],
                    payment_type="Check" if u_days < 0.5 else "CreditCard",
                    settles=index,
                )
            )
            self.books.docs[index].settled_by = payment

    def purchase(
        self, ordinal: int, sod: int, party: str, account: str, amount: int, payment_type: str, memo: str
    ) -> None:
        if amount > 0:
            self.add(
                QboDoc(
                    "Purchase",
                    ordinal,
                    sod,
                    amount,
                    self.vendor(party),
                    "Vendor",
                    [QboLine(memo, amount, account)],
                    payment_type=payment_type,
                    memo=memo,
                )
            )


def simulate_books(
    behaviour: Behaviour,
    days: DayFeatures,
    rng: KeyedRandom,
    opened_ordinal: int,
    scale: float,
    net_revenue: IntArray,
    labor_cost: IntArray | None,
    channels: list[ChannelSpend],
    purchase_orders: list[PurchaseOrder],
    products: tuple[Product, ...],
    services: ServicesResult | None,
    client_names: list[str],
) -> BooksResult:
    books = BooksResult()
    params = behaviour.expenses
    n_days = days.n
    if params is None or n_days == 0:
        return books
    ordinals = days.ordinals
    first, last = int(ordinals[0]), int(ordinals[-1])
    ledger = _Ledger(books, rng, vendor_since=max(opened_ordinal, first - 400), last=last)

    # every vendor the business deals with exists from the start, so the vendor list never depends on
    # how far the history runs
    for name in (
        params.landlord,
        params.utility_vendor,
        *(v for v, _ in params.suppliers),
        *(v for v, _, _ in params.subscriptions),
        *(cv.vendor for cv in params.card_vendors),
        params.inventory_vendor or "Wholesale Supplier",
        PAYROLL_VENDOR,
        *(AD_VENDORS[c.channel] for c in behaviour.channels),
    ):
        ledger.vendor(name)

    size = math.sqrt(max(scale, 0.01))
    cumulative_revenue = np.concatenate([[0], np.cumsum(net_revenue)])
    cumulative_labor = np.concatenate([[0], np.cumsum(labor_cost)]) if labor_cost is not None else None
    card_counts = poisson_from_uniform(
        rng.uniform("books:card-count", ordinals), np.full(n_days, params.card_purchases_per_day)
    )
    for t in range(n_days):
        ordinal = int(ordinals[t])
        day = date.fromordinal(ordinal)
        _rent_and_utilities(ledger, params, day, size)
        if day.weekday() == 0 and t > 0:
            week = int(cumulative_revenue[t] - cumulative_revenue[max(t - 7, 0)])
            _supply_bills(ledger, params, day, week)
        _subscription_charges(ledger, params, day, size)
        if day.day == 3:
            _ad_charges(ledger, channels, day, first)
        if day.day == 15 or day == _month_end(day.year, day.month):
            _payroll(ledger, behaviour, day, t, first, cumulative_labor, scale)
        _card_purchases(ledger, params, ordinal, int(card_counts[t]))

    _stock_bills(ledger, params, purchase_orders, products, ordinals)
    if services is not None:
        _client_invoices(ledger, services, client_names)
    return books


def _rent_and_utilities(ledger: _Ledger, params: ExpenseParams, day: date, size: float) -> None:
    """Rent on the 1st (3 % more each year), utilities on the 8th (higher in winter)."""
    ordinal = day.toordinal()
    if day.day == 1:
        rent = round(params.rent * size * 1.03 ** (day.year - 2025))
        ledger.bill(
            ordinal, 8 * 3600, params.landlord, [QboLine(f"Rent {day:%B %Y}", rent, "Rent or Lease")], 4
        )
    if day.day == 8 and params.utilities > 0:
        seasonal = 1.0 + 0.25 * math.cos(2 * math.pi * (day.month - 1) / 12)
        noise = 0.9 + 0.2 * ledger.rng.uniform("books:utilities", ordinal)[0]
        amount = round(params.utilities * size * seasonal * noise)
        ledger.bill(
            ordinal,
            9 * 3600,
            params.utility_vendor,
            [QboLine(f"Electricity & gas {day:%B}", amount, "Utilities")],
            21,
        )


def _supply_bills(ledger: _Ledger, params: ExpenseParams, day: date, week_revenue: int) -> None:
    """Each supplier's Monday bill: its share of the past week's net revenue."""
    ordinal = day.toordinal()
    for j, (supplier, share) in enumerate(params.suppliers):
        noise = 0.9 + 0.2 * ledger.rng.uniform("books:supplies", ordinal, j)[0]
        amount = round(week_revenue * share * noise)
        ledger.bill(
            ordinal,
            10 * 3600 + 600 * j,
            supplier,
            [QboLine("Weekly supplies", amount, "Cost of Goods Sold")],
            15,
        )


def _subscription_charges(ledger: _Ledger, params: ExpenseParams, day: date, size: float) -> None:
    """Software subscriptions charged to the card, each on its own day of the month."""
    for j, (sub_vendor, amount, account) in enumerate(params.subscriptions):
        if day.day == 3 + (j * 7) % 20:
            scaled = round(amount * (size if account == "Cloud Hosting" else 1.0))
            ledger.purchase(
                day.toordinal(),
                7 * 3600 + 60 * j,
                sub_vendor,
                account,
                scaled,
                "CreditCard",
                f"{sub_vendor} subscription",
            )


def _ad_charges(ledger: _Ledger, channels: list[ChannelSpend], day: date, first: int) -> None:
    """On the 3rd, each ad platform charges the card for the previous month's spend."""
    ordinal = day.toordinal()
    previous = date(day.year - 1, 12, 1) if day.month == 1 else date(day.year, day.month - 1, 1)
    lo = max(previous.toordinal() - first, 0)
    hi = max(ordinal - first - 2, 0)  # through the last day of the previous month
    for j, spend in enumerate(channels):
        amount = round(float(spend.spend[lo:hi].sum()) * 100)
        name = AD_VENDORS[spend.channel.channel]
        ledger.purchase(
            ordinal,
            6 * 3600 + 60 * j,
            name,
            "Advertising",
            amount,
            "CreditCard",
            f"{name} charges {previous:%B %Y}",
        )


def _payroll(
    ledger: _Ledger,
    behaviour: Behaviour,
    day: date,
    t: int,
    first: int,
    cumulative_labor: IntArray | None,
    scale: float,
) -> None:
    """Payroll on the 15th and the last of the month: the timecards' wages plus employer taxes, and
    the salaries of businesses without a shift tool."""
    assert behaviour.expenses is not None
    params = behaviour.expenses
    ordinal = day.toordinal()
    period_start = date(day.year, day.month, 1 if day.day == 15 else 16).toordinal()
    amount = 0
    if cumulative_labor is not None:
        a = max(period_start - first, 0)
        amount += round((cumulative_labor[t + 1] - cumulative_labor[a]) * (1 + EMPLOYER_TAX_RATE))
    if params.salaried_payroll_monthly:
        trend = (1.0 + behaviour.growth_per_year) ** ((ordinal - date(2025, 1, 1).toordinal()) / 365.25)
        amount += round(params.salaried_payroll_monthly / 2 * scale * trend)
    ledger.purchase(
        ordinal,
        16 * 3600,
        PAYROLL_VENDOR,
        "Payroll Expenses",
        amount,
        "Cash",
        f"Payroll {date.fromordinal(period_start):%b %d}-{day:%b %d}",
    )


def _card_purchases(ledger: _Ledger, params: ExpenseParams, ordinal: int, count: int) -> None:
    """The day's card purchases: a vendor, and an amount spread log-uniformly over its range."""
    for k in range(count):
        u_vendor, u_amount, u_time = (ledger.rng.u("books:card", ordinal, k, slot) for slot in range(3))
        cv = params.card_vendors[int(u_vendor * len(params.card_vendors))]
        amount = round(cv.low * (cv.high / cv.low) ** u_amount)
        ledger.purchase(
            ordinal,
            int(8 * 3600 + u_time * 10 * 3600),
            cv.vendor,
            cv.account,
            amount,
            "CreditCard",
            cv.vendor,
        )


def _stock_bills(
    ledger: _Ledger,
    params: ExpenseParams,
    purchase_orders: list[PurchaseOrder],
    products: tuple[Product, ...],
    ordinals: IntArray,
) -> None:
    """Stock arrives with its invoice from the distributor."""
    for po in purchase_orders:
        if po.arrival_day >= len(ordinals):
            continue
        product = products[po.product]
        amount = po.quantity * product.cost
        ledger.bill(
            int(ordinals[po.arrival_day]),
            po.arrival_sod + 1800,
            params.inventory_vendor or "Wholesale Supplier",
            [
                QboLine(
                    f"{po.quantity} x {product.title} ({product.sku})",
                    amount,
                    "Inventory Asset",
                    float(po.quantity),
                    product.cost,
                )
            ],
            30,
        )


def _client_invoices(ledger: _Ledger, services: ServicesResult, client_names: list[str]) -> None:
    """A service business's clients, its invoices, and the payments of those paid by the last day."""
    books = ledger.books
    for client in services.clients:
        name = client_names[client.seq]
        books.customers[name] = Party(
            name,
            "Customer",
            client.created_ordinal,
            client.created_sod,
            email=f"accounts{client.seq}@example.org",
            terms_days=services.params.terms_days,
        )
    for inv in services.invoices:
        name = client_names[inv.client]
        index = ledger.add(
            QboDoc(
                "Invoice",
                inv.ordinal,
                inv.sod,
                inv.amount,
                name,
                "Customer",
                [QboLine(inv.item, inv.amount, inv.item, 1.0, inv.amount)],
                due_ordinal=inv.due_ordinal,
                doc_number=str(1001 + inv.seq),
            )
        )
        if 0 <= inv.paid_ordinal <= ledger.last:
            payment = ledger.add(
                QboDoc(
                    "Payment",
                    inv.paid_ordinal,
                    inv.paid_sod,
                    inv.amount,
                    name,
                    "Customer",
                    [],
                    payment_type="Check" if inv.seq % 3 else "CreditCard",
                    settles=index,
                )
            )
            books.docs[index].settled_by = payment
