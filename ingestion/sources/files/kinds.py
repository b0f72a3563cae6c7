"""What an owner's spreadsheet can hold: the kinds of file Keel takes and the fields it looks for in each.

Each kind (orders, order lines, customers, ...) lists Keel's fields for it: what an owner calls the
field (``label``), its type, whether a file must have it, and the header names owners' tools use for it
(``synonyms``: "Order #", "Invoice No.", "Datum", "Betrag", "Total (€)"), which the mapping matches by
name. ``key`` names the fields that identify a row: a corrected file updates the rows with the same key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FieldType = Literal["text", "date", "time", "money", "number"]


@dataclass(frozen=True)
class Field:
    name: str  # Keel's name, also the raw column
    label: str  # the owner's words
    type: FieldType
    required: bool = False
    synonyms: tuple[str, ...] = ()
    #: a key field that may be absent: it is then the row's position among rows with the same other key
    sequence: bool = False


@dataclass(frozen=True)
class Kind:
    name: str  # also the raw table: raw_files.<name>
    label: str
    description: str
    key: tuple[str, ...]
    fields: tuple[Field, ...]
    synonyms: tuple[str, ...] = ()  # words in a file name that suggest this kind

    def field(self, name: str) -> Field:
        for candidate in self.fields:
            if candidate.name == name:
                return candidate
        raise KeyError(f"{self.label} have no field {name!r}")

    @property
    def required(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.required)


_CURRENCY = Field(
    "currency", "Currency", "text", synonyms=("currency", "curr", "währung", "devise", "moneda")
)

KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind(
            "orders",
            "Orders / sales",
            "One row per order or sale (a till receipt, a web order).",
            ("order_id",),
            (
                Field(
                    "order_id",
                    "Order number",
                    "text",
                    True,
                    (
                        "order #",
                        "order no",
                        "order number",
                        "order id",
                        "order",
                        "receipt",
                        "receipt no",
                        "transaction id",
                        "sale id",
                        "bestellnummer",
                        "bestellung",
                        "beleg",
                        "belegnummer",
                        "bon",
                        "numéro de commande",
                        "commande",
                    ),
                ),
                Field(
                    "order_date",
                    "Date",
                    "date",
                    True,
                    (
                        "date",
                        "order date",
                        "sale date",
                        "datum",
                        "bestelldatum",
                        "created at",
                        "created",
                        "day",
                        "tag",
                        "fecha",
                    ),
                ),
                Field(
                    "order_time", "Time", "time", False, ("time", "order time", "uhrzeit", "zeit", "heure")
                ),
                Field(
                    "customer_id",
                    "Customer",
                    "text",
                    False,
                    ("customer", "customer id", "customer no", "client", "kunde", "kundennummer", "email"),
                ),
                Field(
                    "gross_sales",
                    "Gross sales (before discounts)",
                    "money",
                    False,
                    ("subtotal", "gross sales", "gross", "items total", "zwischensumme", "brutto umsatz"),
                ),
                Field(
                    "discounts", "Discounts", "money", False, ("discount", "discounts", "rabatt", "remise")
                ),
                Field(
                    "tax", "Tax", "money", False, ("tax", "vat", "sales tax", "mwst", "ust", "steuer", "tva")
                ),
                Field("shipping", "Shipping", "money", False, ("shipping", "delivery", "versand", "porto")),
                Field("tips", "Tips", "money", False, ("tip", "tips", "gratuity", "trinkgeld")),
                Field(
                    "total",
                    "Total paid",
                    "money",
                    True,
                    (
                        "total",
                        "amount",
                        "total amount",
                        "order total",
                        "betrag",
                        "gesamt",
                        "summe",
                        "gesamtbetrag",
                        "total (€)",
                        "total ($)",
                        "montant",
                        "importe",
                    ),
                ),
                _CURRENCY,
                Field(
                    "channel", "Sales channel", "text", False, ("channel", "source", "sales channel", "kanal")
                ),
                Field(
                    "discount_code", "Discount code", "text", False, ("discount code", "promo code", "coupon")
                ),
                Field("status", "Status", "text", False, ("status", "order status", "financial status")),
            ),
            ("order", "orders", "sales", "bestellungen", "umsatz", "verkäufe"),
        ),
        Kind(
            "order_lines",
            "Order lines (items sold)",
            "One row per item on an order: what was sold, how many, at what price.",
            ("order_id", "line_number"),
            (
                Field(
                    "order_id",
                    "Order number",
                    "text",
                    True,
                    (
                        "order #",
                        "order no",
                        "order number",
                        "order id",
                        "order",
                        "receipt",
                        "bestellnummer",
                        "beleg",
                        "belegnummer",
                    ),
                ),
                Field(
                    "line_number",
                    "Line",
                    "text",
                    False,
                    ("line", "line no", "line number", "position", "pos"),
                    sequence=True,
                ),
                Field(
                    "product_id",
                    "Product code (SKU)",
                    "text",
                    False,
                    ("sku", "product id", "item id", "product code", "artikelnummer", "art.-nr.", "code"),
                ),
                Field(
                    "product_name",
                    "Product",
                    "text",
                    True,
                    (
                        "product",
                        "item",
                        "product name",
                        "item name",
                        "description",
                        "artikel",
                        "bezeichnung",
                        "produkt",
                        "produit",
                    ),
                ),
                Field(
                    "quantity",
                    "Quantity",
                    "number",
                    True,
                    ("qty", "quantity", "menge", "anzahl", "units", "qté"),
                ),
                Field(
                    "unit_price",
                    "Unit price",
                    "money",
                    True,
                    ("price", "unit price", "item price", "preis", "einzelpreis", "stückpreis", "prix"),
                ),
                Field("discounts", "Discount", "money", False, ("discount", "line discount", "rabatt")),
                Field("tax", "Tax", "money", False, ("tax", "vat", "mwst", "steuer")),
                Field("unit_cost", "Unit cost", "money", False, ("cost", "unit cost", "einkaufspreis", "ek")),
                Field("order_date", "Date", "date", False, ("date", "order date", "datum")),
            ),
            ("line", "lines", "items", "line items", "positionen", "artikel"),
        ),
        Kind(
            "customers",
            "Customers",
            "One row per customer.",
            ("customer_id",),
            (
                Field(
                    "customer_id",
                    "Customer number",
                    "text",
                    True,
                    ("customer id", "customer", "customer no", "id", "kundennummer", "kunde", "client id"),
                ),
                Field(
                    "customer_name",
                    "Name",
                    "text",
                    False,
                    ("name", "customer name", "full name", "kundenname"),
                ),
                Field("email", "E-mail", "text", False, ("email", "e-mail", "mail", "email address")),
                Field("phone", "Phone", "text", False, ("phone", "telephone", "telefon", "mobile")),
                Field(
                    "created_date",
                    "Customer since",
                    "date",
                    False,
                    ("created", "created at", "customer since", "since", "signup date", "kunde seit"),
                ),
            ),
            ("customer", "customers", "kunden", "clients"),
        ),
        Kind(
            "products",
            "Products",
            "One row per thing you sell, with its price and what it costs you.",
            ("product_id",),
            (
                Field(
                    "product_id",
                    "Product code (SKU)",
                    "text",
                    True,
                    ("sku", "product id", "item id", "code", "artikelnummer", "id"),
                ),
                Field(
                    "product_name",
                    "Product",
                    "text",
                    True,
                    ("product", "name", "item", "product name", "artikel", "bezeichnung"),
                ),
                Field(
                    "category", "Category", "text", False, ("category", "type", "product type", "kategorie")
                ),
                Field("price", "Price", "money", False, ("price", "sale price", "preis", "vk")),
                Field("unit_cost", "Unit cost", "money", False, ("cost", "unit cost", "einkaufspreis", "ek")),
                _CURRENCY,
            ),
            ("product", "products", "catalogue", "catalog", "artikel", "produkte"),
        ),
        Kind(
            "bills",
            "Expenses / bills",
            "One row per bill or expense you pay.",
            ("bill_id",),
            (
                Field(
                    "bill_id",
                    "Bill number",
                    "text",
                    True,
                    (
                        "bill no",
                        "bill number",
                        "bill",
                        "reference",
                        "ref",
                        "expense id",
                        "receipt",
                        "belegnummer",
                        "beleg",
                        "rechnungsnummer",
                    ),
                ),
                Field("bill_date", "Date", "date", True, ("date", "bill date", "expense date", "datum")),
                Field(
                    "vendor_name",
                    "Supplier",
                    "text",
                    False,
                    ("vendor", "supplier", "payee", "lieferant", "fournisseur"),
                ),
                Field(
                    "category",
                    "Category",
                    "text",
                    False,
                    ("category", "account", "expense account", "kategorie", "konto"),
                ),
                Field("amount", "Amount", "money", True, ("amount", "total", "betrag", "summe", "montant")),
                Field("due_date", "Due date", "date", False, ("due", "due date", "fällig", "fällig am")),
                Field("paid_date", "Paid on", "date", False, ("paid", "paid on", "paid date", "bezahlt am")),
                _CURRENCY,
            ),
            ("bill", "bills", "expense", "expenses", "ausgaben", "kosten"),
        ),
        Kind(
            "invoices",
            "Invoices",
            "One row per invoice you sent to a customer.",
            ("invoice_id",),
            (
                Field(
                    "invoice_id",
                    "Invoice number",
                    "text",
                    True,
                    (
                        "invoice no.",
                        "invoice no",
                        "invoice number",
                        "invoice #",
                        "invoice",
                        "rechnungsnummer",
                        "rechnung",
                        "facture",
                    ),
                ),
                Field(
                    "invoice_date",
                    "Invoice date",
                    "date",
                    True,
                    ("date", "invoice date", "rechnungsdatum", "datum"),
                ),
                Field(
                    "customer_id", "Customer", "text", False, ("customer", "client", "kunde", "customer id")
                ),
                Field("total", "Total", "money", True, ("total", "amount", "betrag", "summe", "gesamt")),
                Field("balance", "Still owed", "money", False, ("balance", "open", "amount due", "offen")),
                Field("due_date", "Due date", "date", False, ("due", "due date", "fällig")),
                _CURRENCY,
            ),
            ("invoice", "invoices", "rechnungen", "factures"),
        ),
        Kind(
            "payments",
            "Payments received",
            "One row per payment a customer made to you.",
            ("payment_id",),
            (
                Field(
                    "payment_id",
                    "Payment number",
                    "text",
                    True,
                    ("payment id", "payment no", "payment", "transaction id", "reference", "zahlung"),
                ),
                Field("payment_date", "Date", "date", True, ("date", "payment date", "paid on", "datum")),
                Field("amount", "Amount", "money", True, ("amount", "total", "betrag", "summe")),
                Field("customer_id", "Customer", "text", False, ("customer", "client", "kunde")),
                Field("invoice_id", "Invoice number", "text", False, ("invoice", "invoice no", "rechnung")),
                Field("payment_method", "Method", "text", False, ("method", "payment method", "zahlungsart")),
                _CURRENCY,
            ),
            ("payment", "payments", "zahlungen"),
        ),
        Kind(
            "staff_hours",
            "Staff hours",
            "One row per shift someone worked.",
            ("employee_name", "shift_date", "line_number"),
            (
                Field(
                    "employee_name",
                    "Employee",
                    "text",
                    True,
                    ("employee", "name", "staff", "worker", "mitarbeiter", "employé"),
                ),
                Field("shift_date", "Date", "date", True, ("date", "shift date", "day", "datum")),
                Field(
                    "line_number",
                    "Shift number",
                    "text",
                    False,
                    ("shift", "shift id", "shift no"),
                    sequence=True,
                ),
                Field("role", "Role", "text", False, ("role", "position", "job", "rolle")),
                Field("start_time", "Start", "time", False, ("start", "clock in", "from", "beginn", "von")),
                Field("end_time", "End", "time", False, ("end", "clock out", "to", "ende", "bis")),
                Field("hours", "Hours", "number", True, ("hours", "paid hours", "stunden", "std", "heures")),
                Field(
                    "hourly_wage",
                    "Hourly wage",
                    "money",
                    False,
                    ("wage", "rate", "hourly rate", "stundenlohn"),
                ),
                Field(
                    "labor_cost",
                    "Labour cost",
                    "money",
                    False,
                    ("cost", "labor cost", "labour cost", "kosten"),
                ),
            ),
            ("hours", "shifts", "timesheet", "stunden", "schichten"),
        ),
        Kind(
            "marketing_spend",
            "Marketing spend",
            "One row per day and channel (or campaign) of advertising spend.",
            ("spend_date", "channel", "campaign"),
            (
                Field("spend_date", "Date", "date", True, ("date", "day", "datum")),
                Field("channel", "Channel", "text", True, ("channel", "platform", "network", "kanal")),
                Field(
                    "campaign",
                    "Campaign",
                    "text",
                    False,
                    ("campaign", "campaign name", "kampagne"),
                    sequence=True,
                ),
                Field("spend", "Spend", "money", True, ("spend", "cost", "amount", "ausgaben", "kosten")),
                Field("impressions", "Impressions", "number", False, ("impressions", "impr.", "views")),
                Field("clicks", "Clicks", "number", False, ("clicks", "klicks")),
                _CURRENCY,
            ),
            ("marketing", "ads", "advertising", "spend", "werbung"),
        ),
    )
}


def kind(name: str) -> Kind:
    """The kind called ``name``; a clear error listing the kinds otherwise."""
    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(f"unknown kind of file {name!r}; Keel takes: {', '.join(KINDS)}") from None
