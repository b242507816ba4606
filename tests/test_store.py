"""The copy-on-write store: trials never see each other's writes, nor change the shared base."""

from __future__ import annotations

import copy
import json

import pytest

from pytest_ecom.store import Store


@pytest.fixture
def base() -> dict:
    return {
        "orders": {
            "1": {"status": "paid", "items": [{"sku": "kettle", "qty": 1}], "shipping": {"address": {"city": "A"}}},
            "2": {"status": "paid", "items": [], "shipping": {"address": {"city": "B"}}},
        },
        "users": {"u1": {"name": "Ada"}},
    }


@pytest.fixture
def pristine(base: dict) -> dict:
    return copy.deepcopy(base)


def test_nested_list_edit_stays_in_its_own_store(base, pristine):
    one, two = Store(base), Store(base)
    one.edit("orders", "1")["items"][0]["qty"] = 5
    one.edit("orders", "1")["items"].append({"sku": "lid", "qty": 1})
    assert base == pristine
    assert two.get("orders", "1") == pristine["orders"]["1"]
    assert one.get("orders", "1")["items"] == [{"sku": "kettle", "qty": 5}, {"sku": "lid", "qty": 1}]


def test_nested_dict_edit_stays_in_its_own_store(base, pristine):
    one, two = Store(base), Store(base)
    one.edit("orders", "2")["shipping"]["address"]["city"] = "Z"
    assert base["orders"]["2"]["shipping"]["address"]["city"] == "B"
    assert two.get("orders", "2")["shipping"]["address"]["city"] == "B"
    assert one.get("orders", "2")["shipping"]["address"]["city"] == "Z"
    assert base == pristine


def test_a_record_is_copied_once_then_edited_in_place(base):
    store = Store(base)
    first = store.edit("orders", "1")
    first["status"] = "cancelled"
    assert store.edit("orders", "1") is first
    assert store.get("orders", "1")["status"] == "cancelled"


def test_editing_a_missing_record_raises_key_error(base):
    with pytest.raises(KeyError, match="orders/9"):
        Store(base).edit("orders", "9")


def test_put_copies_its_value_and_adds_the_key_after_base_keys(base, pristine):
    store = Store(base)
    record = {"status": "new", "items": []}
    store.put("orders", "3", record)
    record["items"].append("later mutation")
    assert store.get("orders", "3") == {"status": "new", "items": []}
    assert store.keys("orders") == ["1", "2", "3"]
    assert ("orders", "3") in store and ("orders", "4") not in store
    assert base == pristine


def test_put_none_replaces_the_record(base):
    """A record replaced by JSON null reads back as null, not as the base record.

    Otherwise ``diff_keys`` (and so the state check) cannot see the change.
    """
    store, untouched = Store(base), Store(base)
    store.put("orders", "1", None)
    assert store.get("orders", "1", default="absent") is None
    assert store.diff_keys(untouched) == [("orders", "1")]


def test_delete_hides_a_record_from_every_reader(base, pristine):
    store, other = Store(base), Store(base)
    store.delete("orders", "1")
    assert store.get("orders", "1") is None
    assert store.get("orders", "1", default="gone") == "gone"
    assert ("orders", "1") not in store
    assert store.keys("orders") == ["2"]
    assert [k for k, _ in store.records("orders")] == ["2"]
    with pytest.raises(KeyError):
        store.edit("orders", "1")
    assert store.changed() == [("orders", "1")]
    assert store.diff_keys(other) == [("orders", "1")]
    assert other.get("orders", "1") == pristine["orders"]["1"]
    assert store.snapshot() == {"orders": {"1": None}}


def test_deleting_a_record_created_in_the_trial_is_no_change(base):
    store = Store(base)
    store.put("orders", "3", {"status": "new"})
    store.delete("orders", "3")
    assert store.changed() == []
    assert "3" not in store.keys("orders")


def test_fork_starts_from_the_current_state_and_is_isolated_both_ways(base, pristine):
    parent = Store(base)
    parent.edit("orders", "1")["items"][0]["qty"] = 2
    child = parent.fork()
    assert child.get("orders", "1")["items"][0]["qty"] == 2
    child.edit("orders", "1")["items"][0]["qty"] = 3
    child.edit("orders", "2")["status"] = "cancelled"
    parent.edit("orders", "1")["status"] = "refunded"
    assert parent.get("orders", "1")["items"][0]["qty"] == 2
    assert parent.get("orders", "2")["status"] == "paid"
    assert child.get("orders", "1")["status"] == "paid"
    assert base == pristine


def test_diff_keys_lists_exactly_the_records_that_differ(base):
    one, two = Store(base), Store(base)
    one.edit("orders", "1")["status"] = "cancelled"
    two.edit("orders", "1")["status"] = "cancelled"  # same change on both sides: equal
    one.edit("orders", "2")["status"] = "cancelled"
    two.edit("users", "u1")  # touched but unchanged: equal to the base
    two.put("users", "u2", {"name": "Bob"})
    assert one.diff_keys(two) == [("orders", "2"), ("users", "u2")]
    assert two.diff_keys(one) == [("orders", "2"), ("users", "u2")]
    assert one.diff_keys(one.fork()) == []


def test_changed_ignores_records_edited_back_to_their_base_value(base):
    store = Store(base)
    store.edit("users", "u1")["name"] = "Ada"
    order = store.edit("orders", "1")
    order["status"] = "cancelled"
    order["status"] = "paid"
    assert store.touched() == {("users", "u1"), ("orders", "1")}
    assert store.changed() == []


def test_stores_on_different_bases_refuse_to_compare(base):
    with pytest.raises(ValueError, match="different bases"):
        Store(base).diff_keys(Store(copy.deepcopy(base)))


def test_snapshot_holds_the_current_values_of_the_given_records(base):
    store = Store(base)
    store.edit("orders", "1")["status"] = "cancelled"
    assert store.snapshot() == {"orders": {"1": {**base["orders"]["1"], "status": "cancelled"}}}
    assert store.snapshot([("users", "u1")]) == {"users": {"u1": {"name": "Ada"}}}


def test_the_overlay_records_rebuild_the_final_store_deletes_included():
    """What a log keeps of a trial's store: only its writes; with the base, the whole store again."""
    base = {"orders": {"1": {"status": "paid", "items": [{"sku": "a"}]}, "2": {"status": "paid"}}}
    store = Store(base)
    store.edit("orders", "1")["items"][0]["sku"] = "b"
    store.delete("orders", "2")
    store.put("orders", "3", {"status": "new"})
    records = store.overlay_records()
    assert records == [{"table": "orders", "key": "1", "record": {"status": "paid", "items": [{"sku": "b"}]}},
                       {"table": "orders", "key": "2", "deleted": True},
                       {"table": "orders", "key": "3", "record": {"status": "new"}}]
    again = Store(base).restore(json.loads(json.dumps(records)))
    assert again.diff_keys(store) == [] and ("orders", "2") not in again and again.keys("orders") == ["1", "3"]
    assert base["orders"]["1"]["items"][0]["sku"] == "a"  # the base is untouched
