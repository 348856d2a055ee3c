"""Shoppers for the load stage: mostly browsing, some buying.

Run against the storefront (the pipeline's ``target``), e.g.::

    locust -f suites/load/locustfile.py --headless -u 20 -r 20 -t 15s \
        --host http://127.0.0.1:8080

The short wait keeps 20 users well above 50 requests per second.
"""

from __future__ import annotations

import random

from locust import HttpUser, between, task

# Small quantities of the seed product with the most stock.
CHECKOUT_PRODUCT = 1
TIMEOUT_SECONDS = 5


class Shopper(HttpUser):
    """A customer who browses often, buys sometimes and checks their orders."""

    wait_time = between(0.01, 0.05)

    def on_start(self) -> None:
        self.order_ids: list[int] = []

    @task(6)
    def browse(self) -> None:
        with self.client.get(
            "/shop/products",
            name="/shop/products",
            timeout=TIMEOUT_SECONDS,
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
            elif not response.json().get("products"):
                response.failure("the shop lists no products")

    @task(2)
    def health(self) -> None:
        self.client.get("/health", name="/health", timeout=TIMEOUT_SECONDS)

    @task(1)
    def checkout(self) -> None:
        # Running out of stock is the shop working as intended, not an error:
        # orders answers 409 once the catalog's stock is below the quantity
        # (today orders only reads stock, but a catalog that reserves it
        # would run product 1 dry within seconds at this rate). Any other
        # status is a failure. Checkouts get a small weight so the stage
        # measures mostly read traffic.
        with self.client.post(
            "/shop/checkout",
            json={"product_id": CHECKOUT_PRODUCT, "quantity": 1},
            name="/shop/checkout",
            timeout=TIMEOUT_SECONDS,
            catch_response=True,
        ) as response:
            if response.status_code == 201:
                self.order_ids.append(response.json()["order"]["id"])
                response.success()
            elif response.status_code == 409:
                response.success()
            else:
                response.failure(f"status {response.status_code}: {response.text}")

    @task(1)
    def view_order(self) -> None:
        if not self.order_ids:
            return
        order_id = random.choice(self.order_ids)
        with self.client.get(
            f"/shop/orders/{order_id}",
            name="/shop/orders/[id]",
            timeout=TIMEOUT_SECONDS,
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"order {order_id}: status {response.status_code}")
