"""Customers keyed by the network's stable account id, on SQLite and PostgreSQL: the handle is a label that changes."""
import pytest
from sqlmodel import Session, select

from storage.models import Customer, Post
from tests.auxil import factories
from tests.auxil.desk import feed, make_runtime

# What each network's parser puts in Author: (handle before, handle after, the account id it never changes).
RENAMES = {
    "bluesky": ("carla.bsky.social", "carla.example.com", "did:plc:ewvi7nxzyoun6zhxrhs64oiz"),
    "mastodon": ("carla@mastodon.social", "carla_d@mastodon.social", "mastodon.social:109302466354291453"),
    "x": ("carla", "carla_diaz", "2244994945"),
    "reddit": ("u/carla", "u/carla_d", "t2_1w72"),
}


def customers(runtime) -> list[Customer]:
    with Session(runtime.engine) as session:
        return list(session.exec(select(Customer).order_by(Customer.id)))


@pytest.mark.parametrize("network", sorted(RENAMES))
def test_a_customer_who_changes_handle_stays_one_customer_with_their_history(db_url, tmp_path, network):
    before, after, account = RENAMES[network]
    runtime, _, _ = make_runtime(db_url, tmp_path)
    first, follow_up = feed(
        runtime,
        factories.post(external_id="a1", network=network, handle=before, account_id=account),
        factories.post("@acme still nothing?", external_id="a2", network=network, handle=after, account_id=account,
                       thread_root="a1", reply_to="a1", minutes=5),
    )
    assert follow_up.conversation_id == first.conversation_id and not follow_up.opened
    (customer,) = customers(runtime)
    assert (customer.handle, customer.account_id) == (after, account)
    with Session(runtime.engine) as session:
        assert [p.external_id for p in session.exec(select(Post).where(Post.customer_id == customer.id))] == ["a1", "a2"]


def test_a_customer_from_before_account_ids_is_found_by_handle_and_gets_the_id(db_url, tmp_path):
    runtime, _, _ = make_runtime(db_url, tmp_path)
    feed(runtime, factories.post(external_id="old", network="x", handle="carla"))  # stored without an account id
    feed(runtime, factories.post(external_id="new", network="x", handle="carla", account_id="2244994945",
                                 thread_root="old", reply_to="old"))
    feed(runtime, factories.post(external_id="renamed", network="x", handle="carla_diaz", account_id="2244994945",
                                 thread_root="old", reply_to="old"))
    (customer,) = customers(runtime)
    assert (customer.handle, customer.account_id) == ("carla_diaz", "2244994945")


def test_a_handle_given_up_and_taken_by_someone_else_is_a_new_customer(db_url, tmp_path):
    runtime, _, _ = make_runtime(db_url, tmp_path)
    first, = feed(runtime, factories.post(external_id="c1", network="bluesky", handle="sam.bsky.social",
                                          account_id="did:plc:first"))
    second, = feed(runtime, factories.post("@acme hello, new here", external_id="c2", network="bluesky",
                                           handle="sam.bsky.social", account_id="did:plc:second", name="Sam B"))
    assert second.opened and second.conversation_id != first.conversation_id
    old, new = customers(runtime)
    assert (old.handle, old.account_id) == ("did:plc:first", "did:plc:first")  # labelled by its DID until it posts
    assert (new.handle, new.account_id) == ("sam.bsky.social", "did:plc:second")
    feed(runtime, factories.post(external_id="c3", network="bluesky", handle="sam2.bsky.social",
                                 account_id="did:plc:first", thread_root="c1", reply_to="c1"))
    assert [(c.handle, c.account_id) for c in customers(runtime)] == [
        ("sam2.bsky.social", "did:plc:first"), ("sam.bsky.social", "did:plc:second")]


def test_a_renamed_customer_takes_a_handle_an_old_row_still_holds(db_url, tmp_path):
    runtime, _, clock = make_runtime(db_url, tmp_path)
    feed(runtime, factories.post(external_id="d1", network="reddit", handle="u/dana"))  # before account ids
    erin, renamed = feed(runtime, factories.post(external_id="d2", network="reddit", handle="u/erin", account_id="t2_erin"),
                         factories.post(external_id="d3", network="reddit", handle="u/dana", account_id="t2_erin",
                                        thread_root="d2", reply_to="d2"))
    assert renamed.conversation_id == erin.conversation_id
    assert [(c.handle, c.account_id) for c in customers(runtime)] == [
        (f"u/dana (until {clock.now():%Y-%m-%d})", None), ("u/dana", "t2_erin")]


def test_one_account_id_on_two_networks_is_two_customers(db_url, tmp_path):
    runtime, _, _ = make_runtime(db_url, tmp_path)
    feed(runtime, factories.post(external_id="e1", network="x", handle="carla", account_id="42"),
         factories.post(external_id="e2", network="reddit", handle="u/carla", account_id="42"))
    assert [(c.network, c.handle) for c in customers(runtime)] == [("x", "carla"), ("reddit", "u/carla")]
