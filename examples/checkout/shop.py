"""A tiny shop: orders in SQLite (in memory), payment by Stripe, shipping by EasyPost,
an email by SendGrid and a text by Twilio, each through the provider's own Python SDK.

Nothing here knows about recorder. Tests replay its calls from cassettes or mock files;
``recorder record`` captures them from a sandbox (or the real one).

Keys come from the environment. The defaults are fake but shaped like real keys, so the
scrubber has something realistic to remove: they never reach a cassette.
"""
from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass

import easypost
import stripe
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import Mail
from twilio.rest import Client as TwilioClient

STRIPE_KEY = os.environ.get("STRIPE_API_KEY", "sk_test_51CheckoutExampleFakeKey0000000000000000")
EASYPOST_KEY = os.environ.get("EASYPOST_API_KEY", "EZTKcheckoutexamplefakekey0000000000000000000000")
SENDGRID_KEY = os.environ.get("SENDGRID_API_KEY",
                              "SG.checkoutExampleFake00.fakeFakeFakeFakeFakeFakeFakeFakeFake0000000")
TWILIO_SID = os.environ.get("TWILIO_ACCOUNT_SID", "AC" + "00000000000000000000000000c0ffee")
TWILIO_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN", "00000000000000000000000000fa4e00")

SHOP_EMAIL = "orders@shop.example.com"
SHOP_PHONE = "+15557654321"
WAREHOUSE = {"name": "Example Shop Warehouse", "street1": "417 Montgomery St", "city": "San Francisco",
             "state": "CA", "zip": "94104", "country": "US", "phone": "4155559999"}
BUYER_ADDRESS = {"name": "Jane Doe", "street1": "179 N Harbor Dr", "city": "Redondo Beach",
                 "state": "CA", "zip": "90277", "country": "US", "phone": "5551234567"}
PARCEL = {"length": 9, "width": 6, "height": 2, "weight": 10}

# No silent retries: a 429 or a timeout is the shop's decision, not the SDK's.
stripe.max_network_retries = 0
# Pin the API version the integration was written against (Stripe's own advice): recordings then
# say which version they hold, and contract checks compare them with that version's spec.
stripe.api_version = "2023-08-16"

SCHEMA = """
CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT NOT NULL, phone TEXT, name TEXT NOT NULL);
CREATE TABLE products (id INTEGER PRIMARY KEY, sku TEXT UNIQUE NOT NULL, name TEXT NOT NULL,
                       price_cents INTEGER NOT NULL, stock INTEGER NOT NULL DEFAULT 0);
CREATE TABLE orders (id INTEGER PRIMARY KEY AUTOINCREMENT, customer_id INTEGER REFERENCES customers(id),
                     status TEXT NOT NULL DEFAULT 'pending', total_cents INTEGER NOT NULL,
                     charge_id TEXT, tracking_code TEXT, label_url TEXT);
CREATE TABLE order_items (order_id INTEGER REFERENCES orders(id), product_id INTEGER REFERENCES products(id),
                          quantity INTEGER NOT NULL, unit_price_cents INTEGER NOT NULL,
                          PRIMARY KEY (order_id, product_id));
INSERT INTO customers (id, email, phone, name) VALUES (1, 'buyer@example.com', '+15551234567', 'Jane Doe');
INSERT INTO products (id, sku, name, price_cents, stock) VALUES
  (1, 'WIDGET-001', 'Blue Widget', 999, 50),
  (2, 'WIDGET-002', 'Red Widget', 1499, 30),
  (3, 'GADGET-001', 'Turbo Gadget', 4999, 5);
INSERT INTO sqlite_sequence (name, seq) VALUES ('orders', 10);
"""


class ShopError(Exception):
    """An error the shop's caller sees, with the HTTP status an API would answer."""

    status = 500

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        if status is not None:
            self.status = status


class InsufficientStock(ShopError):
    status = 409


class PaymentFailed(ShopError):
    """The card was refused (Stripe said 402): the order is ``payment_failed``."""

    status = 402

    def __init__(self, message: str, *, code: str | None = None, decline_code: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.decline_code = decline_code


class RetryLater(ShopError):
    """Stripe rate-limited us (429). The order stays ``pending``; try again after ``retry_after`` s."""

    status = 429

    def __init__(self, message: str, *, retry_after: float | None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Order:
    id: int
    customer_id: int
    status: str
    total_cents: int
    charge_id: str | None = None
    tracking_code: str | None = None
    label_url: str | None = None


class Shop:
    def __init__(self) -> None:
        self.db = sqlite3.connect(":memory:")
        self.db.executescript(SCHEMA)

    # -- orders --------------------------------------------------------------------------
    def create_order(self, customer_id: int, items: list[dict]) -> Order:
        """``items``: ``[{"sku": "WIDGET-001", "quantity": 1}, ...]``. Stock is checked, not taken."""
        with self.db:
            lines = []
            for item in items:
                row = self.db.execute("SELECT id, price_cents, stock FROM products WHERE sku = ?",
                                      (item["sku"],)).fetchone()
                if row is None:
                    raise ShopError(f"no such product {item['sku']}", status=404)
                product_id, price, stock = row
                if stock < item["quantity"]:
                    raise InsufficientStock(f"insufficient stock for {item['sku']}")
                lines.append((product_id, item["quantity"], price))
            total = sum(quantity * price for _, quantity, price in lines)
            order_id = self.db.execute("INSERT INTO orders (customer_id, total_cents) VALUES (?, ?)",
                                       (customer_id, total)).lastrowid
            self.db.executemany("INSERT INTO order_items VALUES (?, ?, ?, ?)",
                                [(order_id, *line) for line in lines])
        return self.order(order_id)

    def order(self, order_id: int) -> Order:
        row = self.db.execute("SELECT id, customer_id, status, total_cents, charge_id, tracking_code, label_url "
                              "FROM orders WHERE id = ?", (order_id,)).fetchone()
        if row is None:
            raise ShopError(f"no such order {order_id}", status=404)
        return Order(*row)

    def stock(self, sku: str) -> int:
        return self.db.execute("SELECT stock FROM products WHERE sku = ?", (sku,)).fetchone()[0]

    # -- checkout ------------------------------------------------------------------------
    def pay(self, order_id: int, payment_method: str) -> Order:
        """Charge, then take stock, then ship and notify. A refused charge changes nothing else."""
        order = self.order(order_id)
        if order.status != "pending":
            raise ShopError(f"order {order_id} is {order.status}", status=409)
        try:
            charge = stripe.Charge.create(
                api_key=STRIPE_KEY, amount=order.total_cents, currency="usd", source=payment_method,
                description=f"Order #{order_id}", metadata={"order_id": str(order_id)})
        except stripe.CardError as exc:
            self._set_status(order_id, "payment_failed")
            error = exc.error
            raise PaymentFailed(exc.user_message or "Your card was declined.",
                                code=getattr(error, "code", None),
                                decline_code=getattr(error, "decline_code", None)) from exc
        except stripe.RateLimitError as exc:
            raise RetryLater("payment provider is busy, try again shortly",
                             retry_after=_retry_after(exc.headers)) from exc

        with self.db:
            self.db.execute("UPDATE orders SET status = 'paid', charge_id = ? WHERE id = ?", (charge.id, order_id))
            self.db.execute("UPDATE products SET stock = stock - (SELECT quantity FROM order_items "
                            "WHERE order_id = ? AND product_id = products.id) "
                            "WHERE id IN (SELECT product_id FROM order_items WHERE order_id = ?)",
                            (order_id, order_id))

        email, phone, name = self.db.execute(
            "SELECT email, phone, name FROM customers WHERE id = ?", (order.customer_id,)).fetchone()
        shipment = easypost.EasyPostClient(EASYPOST_KEY).shipment.create(
            to_address=BUYER_ADDRESS, from_address=WAREHOUSE, parcel=PARCEL,
            reference=f"order-{order_id}")
        tracking = shipment.tracking_code
        label_url = shipment.postage_label.label_url if getattr(shipment, "postage_label", None) else None
        with self.db:
            self.db.execute("UPDATE orders SET tracking_code = ?, label_url = ? WHERE id = ?",
                            (tracking, label_url, order_id))

        SendGridAPIClient(SENDGRID_KEY).send(Mail(
            from_email=SHOP_EMAIL, to_emails=email, subject=f"Order #{order_id} confirmed",
            plain_text_content=(f"Hi {name}, thanks for your order #{order_id} "
                                f"(${order.total_cents / 100:.2f}). Tracking: {tracking}")))
        if phone:
            TwilioClient(TWILIO_SID, TWILIO_TOKEN).messages.create(
                to=phone, from_=SHOP_PHONE, body=f"Order #{order_id} has shipped. Tracking: {tracking}")
        return self.order(order_id)

    def _set_status(self, order_id: int, status: str) -> None:
        with self.db:
            self.db.execute("UPDATE orders SET status = ? WHERE id = ?", (status, order_id))


def _retry_after(headers: object) -> float | None:
    """Seconds from a Retry-After header (the SDK hands us the response headers)."""
    if not headers:
        return None
    value = None
    for name, candidate in dict(headers).items():  # type: ignore[call-overload]
        if name.lower() == "retry-after":
            value = candidate
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
