"""storefront → catalog: the product list behind GET /shop/products.

The test drives the real storefront app (its catalog ``Upstream`` client and
``shop_products``) through Flask's test client, with both upstream URLs
pointing at the Pact mock server, so any call the pact does not describe
fails the test. Passing tests write contracts/storefront-catalog.json.
"""

from __future__ import annotations

from typing import Any

from pact import match
from storefront import create_app

CONSUMER, PROVIDER = "storefront", "catalog"


def test_storefront_lists_catalog_products(consumer_pact: Any) -> None:
    pact = consumer_pact(CONSUMER, PROVIDER)
    (
        pact.upon_receiving("a request for all products")
        .given("products exist")
        .with_request("GET", "/products")
        .will_respond_with(200)
        .with_header("Content-Type", "application/json")
        .with_body(
            {
                "products": match.each_like(
                    {
                        "id": match.int(1),
                        "name": match.str("Espresso beans"),
                        "price": match.number(12.5),
                        "stock": match.int(40),
                    }
                )
            }
        )
    )

    with pact.serve(addr="127.0.0.1") as server:
        app = create_app(str(server.url), str(server.url))
        response = app.test_client().get("/shop/products")

    assert response.status_code == 200
    assert response.get_json() == {
        "products": [
            {"id": 1, "name": "Espresso beans", "price": 12.5, "in_stock": True}
        ]
    }
