from __future__ import annotations

from catalog import SEED_PRODUCTS, ProductStore


def test_new_store_holds_the_seed_products() -> None:
    store = ProductStore()

    assert [p["id"] for p in store.all()] == [1, 2, 3]
    assert store.get(1) == {
        "id": 1,
        "name": "Espresso beans",
        "price": 12.5,
        "stock": 40,
    }
    assert store.get(3)["stock"] == 0  # type: ignore[index]


def test_added_product_gets_the_next_id() -> None:
    store = ProductStore()

    added = store.add("Mug", 8.0, 2)

    assert added == {"id": 4, "name": "Mug", "price": 8.0, "stock": 2}
    assert store.get(4) == added


def test_reset_replaces_products_and_numbers_those_without_id() -> None:
    store = ProductStore()

    store.reset([{"id": 10, "name": "A", "price": 1, "stock": 1}])
    store.add("B", 2.0, 0)
    store.reset([{"name": "C", "price": 3, "stock": 5}])

    assert store.all() == [{"id": 1, "name": "C", "price": 3.0, "stock": 5}]
    assert store.get(10) is None


def test_callers_cannot_change_stored_products() -> None:
    store = ProductStore()

    store.get(1)["stock"] = 0  # type: ignore[index]
    store.all()[1]["price"] = 0.01

    assert store.get(1)["stock"] == 40  # type: ignore[index]
    assert store.get(2)["price"] == 39.0  # type: ignore[index]


def test_seed_data_is_untouched_by_a_store() -> None:
    ProductStore().reset([])

    assert len(SEED_PRODUCTS) == 3
    assert SEED_PRODUCTS[0]["stock"] == 40
