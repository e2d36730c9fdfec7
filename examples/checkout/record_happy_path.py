"""The checkout happy path, once: the program `recorder record` runs to make the cassettes.

It knows nothing about recorder; see record.sh for the command that records it.
"""
from shop import Shop


def main() -> None:
    shop = Shop()
    order = shop.create_order(1, [{"sku": "WIDGET-001", "quantity": 1}, {"sku": "WIDGET-002", "quantity": 1}])
    paid = shop.pay(order.id, "tok_visa")
    print(f"order {paid.id}: {paid.status}, {paid.total_cents} cents, tracking {paid.tracking_code}")


if __name__ == "__main__":
    main()
